/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one MAC parser: six colon-separated hex pairs, nothing else
 * ("52:54:00:AB:cd:ef"; no '-', no dropped zeros), as libvirt writes them. */

#include <stdbool.h>
#include <stdint.h>

#define KN_MAC_LEN 6
#define KN_MAC_STR 18 /* "aa:bb:cc:dd:ee:ff" and its NUL */

/* 0, or -EINVAL if s is not a MAC address. */
int kn_mac_from_string(const char *s, uint8_t mac[KN_MAC_LEN]);
/* Lower case, as kvmnet prints every MAC. */
void kn_mac_to_string(const uint8_t mac[KN_MAC_LEN], char out[KN_MAC_STR]);

static inline bool kn_mac_is_multicast(const uint8_t mac[KN_MAC_LEN]) {
        return mac[0] & 1;
}
