/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* 10,000 bridges, each over its own vlan (20,000 ifcfg files): all load,
 * list and look up correctly, and defines among them keep the list whole.
 * The times are printed for information only; speed is measured by
 * bench/iface-scale, not asserted here. */

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "kvmnet/backend.h"
#include "kvmnet/config.h"
#include "macro.h"
#include "rootfs.h"
#include "testutil.h"

#define N_BRIDGES 10000

extern const kn_backend_vtable kn_ifcfg_vtable;

static double seconds(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* CPU time of this process: what the work costs, whatever else the
 * machine runs at the same time (wall time is printed too). */
static double cpu(void) {
        return seconds(CLOCK_PROCESS_CPUTIME_ID);
}

static void write_at(int dfd, const char *name, const char *data) {
        int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, strlen(data)), (ssize_t) strlen(data));
        close(fd);
}

static void test_many_bridges(void **state) {
        _cleanup_free_ char *root = test_tmpdir();
        test_run("mkdir -p '%s/etc/sysconfig/network-scripts'", root);
        _cleanup_free_ char *dir = kn_xasprintf("%s/etc/sysconfig/network-scripts", root);
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dfd >= 0);
        for (int k = 0; k < N_BRIDGES; k++) {
                char name[64], data[512];
                int parent = k / 4000, tag = k % 4000 + 1;
                snprintf(name, sizeof name, "ifcfg-br%d", k);
                snprintf(data, sizeof data,
                         "DEVICE=br%d\nTYPE=Bridge\nONBOOT=yes\nBOOTPROTO=none\n"
                         "IPADDR=10.%d.%d.1\nPREFIX=24\nSTP=off\nDELAY=0\n",
                         k, k / 256, k % 256);
                write_at(dfd, name, data);
                snprintf(name, sizeof name, "ifcfg-eth%d.%d", parent, tag);
                snprintf(data, sizeof data, "DEVICE=eth%d.%d\nVLAN=yes\nONBOOT=yes\nBRIDGE=br%d\n",
                         parent, tag, k);
                write_at(dfd, name, data);
        }
        close(dfd);

        kn_error err = {0};
        kn_config *c = NULL;
        double w0 = seconds(CLOCK_MONOTONIC), t0 = cpu();
        if (kn_config_open(root, "ifcfg", &c, &err) < 0)
                fail_msg("%s", err.message);
        const kn_iface *const *items;
        size_t n = kn_config_list(c, &items);
        double t1 = cpu(), w1 = seconds(CLOCK_MONOTONIC);
        assert_int_equal(n, N_BRIDGES);
        const kn_diag *d;
        assert_int_equal(kn_config_diags(c, &d), 0);
        const kn_iface *top = NULL, *port = kn_config_lookup(c, "eth2.2000", &top);
        assert_non_null(port);
        assert_string_equal(top->name, "br9999");
        fprintf(stderr, "load + list of %d bridges over vlans: %.3f s CPU (%.3f s wall)\n",
                N_BRIDGES, t1 - t0, w1 - w0);

        kn_config_free(c);

        /* The backend's define (without the config layer's refresh of its
         * list afterwards) must not depend on the number of files. */
        kn_root *r = NULL;
        assert_int_equal(kn_root_open(root, &r, &err), 0);
        kn_backend *b = kn_xcalloc(1, kn_ifcfg_vtable.object_size);
        b->vt = &kn_ifcfg_vtable;
        b->root = r;
        assert_int_equal(b->vt->load(b, &err), 0);
        const char *xml = "<interface type='bridge' name='br5'>\n"
                          "  <start mode='onboot'/>\n"
                          "  <bridge stp='on'>\n"
                          "    <interface type='vlan' name='eth0.6'>\n"
                          "      <vlan tag='6'>\n"
                          "        <interface name='eth0'/>\n"
                          "      </vlan>\n"
                          "    </interface>\n"
                          "  </bridge>\n"
                          "</interface>\n";
        kn_iface *i = NULL;
        assert_int_equal(kn_iface_parse_xml(xml, strlen(xml), "test", &i, &err), 0);
        double t2 = cpu();
        for (int k = 0; k < 20; k++) {
                i->ipv4.present = true;
                snprintf(i->ipv4.gateway, sizeof i->ipv4.gateway, "10.0.0.%d", k + 1);
                if (b->vt->define(b, i, &err) < 0)
                        fail_msg("%s", err.message);
        }
        double t3 = cpu();
        kn_iface_list l = {0};
        b->vt->list(b, &l);
        double t4 = cpu();
        assert_int_equal(l.n, N_BRIDGES);
        assert_int_equal(l.n_diags, 0);
        kn_iface_list_done(&l);
        kn_iface_free(i);
        b->vt->done(b);
        free(b);
        kn_root_free(r);
        fprintf(stderr, "20 defines: %.4f s CPU, list after them: %.3f s CPU\n", t3 - t2, t4 - t3);
        test_rmtree(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_many_bridges),
        };
        return cmocka_run_group_tests_name("ifcfg-perf", tests, NULL, NULL);
}
