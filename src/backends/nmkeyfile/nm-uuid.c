/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Name-based UUIDs (RFC 4122 version 5: SHA-1 of namespace + name), so the
 * profile kvmnet writes for eth0 always has the same UUID.  SHA-1 is
 * written out here (FIPS 180-4) rather than pulled from a crypto library:
 * this is an identifier, not a security boundary. */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nmkeyfile.h"

/* kvmnet's namespace for interface profiles (a random version 4 UUID). */
static const uint8_t kvmnet_namespace[16] = {0x4f, 0xcf, 0x6f, 0xbd, 0xce, 0xfa, 0x48, 0xbb,
                                             0x88, 0x21, 0x32, 0xdf, 0x22, 0xc9, 0x58, 0xcb};

typedef struct sha1 {
        uint32_t h[5];
        uint8_t block[64];
        size_t used;
        uint64_t bytes;
} sha1;

static uint32_t rol(uint32_t x, int n) {
        return (x << n) | (x >> (32 - n));
}

static void sha1_block(sha1 *s) {
        uint32_t w[80];
        for (int t = 0; t < 16; t++)
                w[t] = (uint32_t) s->block[4 * t] << 24 | (uint32_t) s->block[4 * t + 1] << 16 |
                       (uint32_t) s->block[4 * t + 2] << 8 | s->block[4 * t + 3];
        for (int t = 16; t < 80; t++)
                w[t] = rol(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
        uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
        for (int t = 0; t < 80; t++) {
                uint32_t f, k;
                if (t < 20)
                        f = (b & c) | (~b & d), k = 0x5a827999;
                else if (t < 40)
                        f = b ^ c ^ d, k = 0x6ed9eba1;
                else if (t < 60)
                        f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
                else
                        f = b ^ c ^ d, k = 0xca62c1d6;
                uint32_t tmp = rol(a, 5) + f + e + k + w[t];
                e = d;
                d = c;
                c = rol(b, 30);
                b = a;
                a = tmp;
        }
        s->h[0] += a;
        s->h[1] += b;
        s->h[2] += c;
        s->h[3] += d;
        s->h[4] += e;
}

static void sha1_init(sha1 *s) {
        *s = (sha1){.h = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0}};
}

static void sha1_update(sha1 *s, const void *data, size_t n) {
        const uint8_t *p = data;
        s->bytes += n;
        while (n--) {
                s->block[s->used++] = *p++;
                if (s->used == 64) {
                        sha1_block(s);
                        s->used = 0;
                }
        }
}

static void sha1_final(sha1 *s, uint8_t out[20]) {
        uint64_t bits = s->bytes * 8;
        uint8_t pad = 0x80, zero = 0, len[8];
        sha1_update(s, &pad, 1);
        while (s->used != 56)
                sha1_update(s, &zero, 1);
        for (int k = 0; k < 8; k++)
                len[k] = (uint8_t) (bits >> (56 - 8 * k));
        sha1_update(s, len, 8);
        for (int k = 0; k < 20; k++)
                out[k] = (uint8_t) (s->h[k / 4] >> (24 - 8 * (k % 4)));
}

void kn_nmkeyfile_uuid_for(const char *ifname, char *out) {
        sha1 s;
        uint8_t d[20];
        sha1_init(&s);
        sha1_update(&s, kvmnet_namespace, sizeof kvmnet_namespace);
        sha1_update(&s, ifname, strlen(ifname));
        sha1_final(&s, d);
        d[6] = (uint8_t) ((d[6] & 0x0f) | 0x50);
        d[8] = (uint8_t) ((d[8] & 0x3f) | 0x80);
        snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12],
                 d[13], d[14], d[15]);
}
