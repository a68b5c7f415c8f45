/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A subscriber sees what `ip` changes: links, addresses, routes. */

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kvmnet/live-events.h"
#include "live-test.h"

typedef struct log {
        char *json[256];
        size_t n;
} log_t;

static void on_event(const kn_live_event *e, void *userdata) {
        log_t *l = userdata;
        if (l->n < ELEMENTSOF(l->json))
                l->json[l->n++] = kn_live_event_to_json(e);
}

/* Wait (up to 2 s) for an event whose JSON contains all of the strings. */
static bool wait_for(kn_live_events *ev, log_t *l, const char *a, const char *b, const char *c) {
        for (int round = 0; round < 20; round++) {
                for (size_t k = 0; k < l->n; k++)
                        if (strstr(l->json[k], a) && strstr(l->json[k], b) &&
                            (!c || strstr(l->json[k], c))) {
                                printf("# %s\n", l->json[k]);
                                return true;
                        }
                struct pollfd p = {.fd = kn_live_events_fd(ev), .events = POLLIN};
                if (poll(&p, 1, 100) > 0)
                        assert_true(kn_live_events_process(ev) >= 0);
        }
        return false;
}

static void test_events(void **state) {
        const char *ns = lt_ns("events");
        lt_sh("ip -n %s link add name eth0 type veth peer name eth0p", ns);
        kn_netns *h = lt_open(ns);
        kn_live_events *ev = NULL;
        log_t l = {0};
        kn_error err = {0};
        assert_int_equal(kn_live_events_open(h, on_event, &l, &ev, &err), 0);
        assert_true(kn_live_events_fd(ev) >= 0);
        /* Nothing queued yet: process returns at once. */
        assert_int_equal(kn_live_events_process(ev), 0);

        lt_sh("ip -n %s link set eth0 mtu 1400", ns);
        assert_true(wait_for(ev, &l, "\"event\":\"link\"", "\"ifname\":\"eth0\"", "\"mtu\":1400"));

        lt_sh("ip -n %s link set eth0p up && ip -n %s link set eth0 up", ns, ns);
        assert_true(wait_for(ev, &l, "\"ifname\":\"eth0\"", "\"state\":\"up\"", NULL));

        lt_sh("ip -n %s addr add 10.6.0.1/24 dev eth0", ns);
        assert_true(wait_for(ev, &l, "\"event\":\"address\",\"action\":\"new\"",
                             "\"address\":\"10.6.0.1\"", "\"ifname\":\"eth0\""));
        assert_true(wait_for(ev, &l, "\"event\":\"route\"", "\"destination\":\"10.6.0.0\"",
                             "\"prefix\":24"));

        lt_sh("ip -n %s route add default via 10.6.0.254", ns);
        assert_true(wait_for(ev, &l, "\"event\":\"route\"", "\"gateway\":\"10.6.0.254\"",
                             "\"table\":254"));

        lt_sh("ip -n %s addr del 10.6.0.1/24 dev eth0", ns);
        assert_true(wait_for(ev, &l, "\"event\":\"address\",\"action\":\"del\"",
                             "\"address\":\"10.6.0.1\"", NULL));

        lt_sh("ip -n %s link del eth0", ns);
        assert_true(wait_for(ev, &l, "\"event\":\"link\",\"action\":\"del\"", "\"ifname\":\"eth0\"",
                             NULL));

        for (size_t k = 0; k < l.n; k++)
                free(l.json[k]);
        kn_live_events_free(ev);
        kn_netns_free(h);
        lt_ns_kill_and_delete(ns);
}

int main(void) {
        lt_init();
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_events),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
