/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A lower layer calling into a higher one (probe-high.c): the back-edge
 * scripts/check-layers.sh must refuse (check-back-edge.sh). */
int kn_layers_probe_low(void);
int kn_layers_probe_high(void);

int kn_layers_probe_low(void) {
        return kn_layers_probe_high() + 1;
}
