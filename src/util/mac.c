/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mac.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int hexval(char c) {
        return isdigit((unsigned char) c) ? c - '0' : tolower((unsigned char) c) - 'a' + 10;
}

int kn_mac_from_string(const char *s, uint8_t mac[KN_MAC_LEN]) {
        uint8_t b[KN_MAC_LEN];
        if (!s || strlen(s) != KN_MAC_STR - 1)
                return -EINVAL;
        for (size_t k = 0; k < KN_MAC_STR - 1; k++)
                if (k % 3 == 2 ? s[k] != ':' : !isxdigit((unsigned char) s[k]))
                        return -EINVAL;
        for (size_t k = 0; k < KN_MAC_LEN; k++)
                b[k] = (uint8_t) (hexval(s[3 * k]) << 4 | hexval(s[3 * k + 1]));
        if (mac)
                memcpy(mac, b, sizeof b);
        return 0;
}

void kn_mac_to_string(const uint8_t mac[KN_MAC_LEN], char out[KN_MAC_STR]) {
        snprintf(out, KN_MAC_STR, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                 mac[4], mac[5]);
}
