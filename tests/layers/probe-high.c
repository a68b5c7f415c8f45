/* SPDX-License-Identifier: LGPL-2.1-or-later */
int kn_layers_probe_high(void);

int kn_layers_probe_high(void) {
        return 1;
}
