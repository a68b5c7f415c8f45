/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Netlink multicast: links, IPv4/IPv6 addresses and routes, turned into
 * small kn_live_event structs (and JSON for the daemon's subscribers). */

#include <arpa/inet.h>
#include <json-c/json.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "kvmnet/live-events.h"
#include "live-internal.h"

#define EVENT_RCVBUF (4 * 1024 * 1024)

typedef struct name_entry {
        int ifindex;
        char name[IFNAMSIZ];
} name_entry;

struct kn_live_events {
        kn_netns *ns;
        struct nl_sock *sk;
        kn_live_event_cb cb;
        void *userdata;
        uint8_t *buf;
        size_t size;
        name_entry *names; /* ifindex -> name, from link events and lookups */
        size_t n_names, alloc_names;
};

static name_entry *name_slot(kn_live_events *ev, int ifindex) {
        for (size_t k = 0; k < ev->n_names; k++)
                if (ev->names[k].ifindex == ifindex)
                        return &ev->names[k];
        return NULL;
}

static void name_set(kn_live_events *ev, int ifindex, const char *name, bool removed) {
        name_entry *e = name_slot(ev, ifindex);
        if (removed) {
                if (e)
                        *e = ev->names[--ev->n_names];
                return;
        }
        if (!e) {
                GREEDY_REALLOC(ev->names, ev->alloc_names, ev->n_names + 1);
                e = &ev->names[ev->n_names++];
                e->ifindex = ifindex;
        }
        snprintf(e->name, sizeof e->name, "%s", name);
}

static void name_get(kn_live_events *ev, int ifindex, char *out) {
        name_entry *e = name_slot(ev, ifindex);
        if (!e && ifindex > 0) {
                _cleanup_snap_ kn_nl_snap s = {0};
                int k = kn_snap_get_link(ev->ns, &s, NULL, ifindex, NULL);
                if (k >= 0) {
                        name_set(ev, ifindex, s.links[k].name, false);
                        e = name_slot(ev, ifindex);
                }
        }
        snprintf(out, KN_IFNAME_MAX + 1, "%s", e ? e->name : "");
}

int kn_live_events_open(kn_netns *ns, kn_live_event_cb cb, void *userdata, kn_live_events **ret,
                        kn_error *err) {
        kn_live_events *ev = kn_xcalloc(1, sizeof *ev);
        ev->ns = ns;
        ev->cb = cb;
        ev->userdata = userdata;
        ev->size = 64 * 1024;
        ev->buf = kn_xmalloc(ev->size);
        int r = kn_netns_socket(ns, NETLINK_ROUTE, &ev->sk, err);
        if (r < 0) {
                kn_live_events_free(ev);
                return r;
        }
        nl_socket_disable_seq_check(ev->sk);
        r = nl_socket_add_memberships(ev->sk, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
                                      RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,
                                      0);
        if (r >= 0)
                r = nl_socket_set_nonblocking(ev->sk);
        if (r < 0) {
                kn_live_events_free(ev);
                return kn_error_set(err, EIO, "subscribing to netlink events: %s", nl_geterror(r));
        }
        (void) nl_socket_set_buffer_size(ev->sk, EVENT_RCVBUF, 0);
        *ret = ev;
        return 0;
}

int kn_live_events_fd(const kn_live_events *ev) {
        return nl_socket_get_fd(ev->sk);
}

kn_live_events *kn_live_events_free(kn_live_events *ev) {
        if (!ev)
                return NULL;
        if (ev->sk)
                nl_socket_free(ev->sk);
        free(ev->buf);
        free(ev->names);
        free(ev);
        return NULL;
}

static bool link_event(kn_live_events *ev, struct nlmsghdr *h, kn_live_event *e) {
        kn_nl_link l;
        if (kn_nl_parse_link(h, &l) < 0)
                return false;
        e->type = KN_LIVE_EVENT_LINK;
        e->removed = h->nlmsg_type == RTM_DELLINK;
        e->ifindex = l.ifindex;
        snprintf(e->ifname, sizeof e->ifname, "%s", l.name);
        e->flags = l.flags;
        e->state = l.operstate <= IF_OPER_UP ? (kn_link_state) (l.operstate + 1) : KN_LINK_UNSET;
        e->mtu = l.mtu;
        memcpy(e->mac, l.mac, sizeof e->mac);
        e->master = l.master;
        memcpy(e->kind, l.kind, sizeof e->kind);
        name_set(ev, l.ifindex, l.name, e->removed);
        return true;
}

static bool addr_event(kn_live_events *ev, struct nlmsghdr *h, kn_live_event *e) {
        kn_nl_addr a;
        if (kn_nl_parse_addr(h, &a) < 0)
                return false;
        e->type = KN_LIVE_EVENT_ADDR;
        e->removed = h->nlmsg_type == RTM_DELADDR;
        e->ifindex = a.ifindex;
        e->family = a.family;
        memcpy(e->address, a.address, sizeof e->address);
        e->prefix = a.prefix;
        name_get(ev, a.ifindex, e->ifname);
        return true;
}

static bool route_event(kn_live_events *ev, struct nlmsghdr *h, kn_live_event *e) {
        if (h->nlmsg_type != RTM_NEWROUTE && h->nlmsg_type != RTM_DELROUTE)
                return false;
        struct rtmsg *rtm = nlmsg_data(h);
        struct nlattr *tb[RTA_MAX + 1];
        if (nlmsg_parse(h, sizeof *rtm, tb, RTA_MAX, NULL) < 0 ||
            (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) ||
            (rtm->rtm_flags & RTM_F_CLONED))
                return false;
        int alen = rtm->rtm_family == AF_INET ? 4 : 16;
        e->type = KN_LIVE_EVENT_ROUTE;
        e->removed = h->nlmsg_type == RTM_DELROUTE;
        e->family = rtm->rtm_family;
        e->prefix = rtm->rtm_dst_len;
        e->table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
        e->ifindex = tb[RTA_OIF] ? (int) nla_get_u32(tb[RTA_OIF]) : 0;
        if (tb[RTA_DST] && nla_len(tb[RTA_DST]) == alen)
                inet_ntop(e->family, nla_data(tb[RTA_DST]), e->address, sizeof e->address);
        else
                snprintf(e->address, sizeof e->address, "%s",
                         e->family == AF_INET ? "0.0.0.0" : "::");
        if (tb[RTA_GATEWAY] && nla_len(tb[RTA_GATEWAY]) == alen)
                inet_ntop(e->family, nla_data(tb[RTA_GATEWAY]), e->gateway, sizeof e->gateway);
        name_get(ev, e->ifindex, e->ifname);
        return true;
}

int kn_live_events_process(kn_live_events *ev) {
        int fd = nl_socket_get_fd(ev->sk), count = 0;
        for (;;) {
                ssize_t n = recv(fd, ev->buf, ev->size, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return count;
                        if (errno == ENOBUFS) {
                                kn_live_event e = {.type = KN_LIVE_EVENT_OVERFLOW};
                                ev->n_names = 0;
                                ev->cb(&e, ev->userdata);
                                count++;
                                continue;
                        }
                        return -errno;
                }
                int len = (int) n;
                for (struct nlmsghdr *h = (struct nlmsghdr *) ev->buf; nlmsg_ok(h, len);
                     h = nlmsg_next(h, &len)) {
                        kn_live_event e = {0};
                        bool ok;
                        switch (h->nlmsg_type) {
                        case RTM_NEWLINK:
                        case RTM_DELLINK: ok = link_event(ev, h, &e); break;
                        case RTM_NEWADDR:
                        case RTM_DELADDR: ok = addr_event(ev, h, &e); break;
                        default: ok = route_event(ev, h, &e); break;
                        }
                        if (ok) {
                                ev->cb(&e, ev->userdata);
                                count++;
                        }
                }
        }
}

static const char *const type_names[_KN_LIVE_EVENT_TYPE_MAX] = {
        [KN_LIVE_EVENT_LINK] = "link",
        [KN_LIVE_EVENT_ADDR] = "address",
        [KN_LIVE_EVENT_ROUTE] = "route",
        [KN_LIVE_EVENT_OVERFLOW] = "overflow",
};

static void add_str(json_object *o, const char *key, const char *value) {
        json_object_object_add(o, key, json_object_new_string(value));
}

static void add_int(json_object *o, const char *key, int64_t value) {
        json_object_object_add(o, key, json_object_new_int64(value));
}

char *kn_live_event_to_json(const kn_live_event *e) {
        json_object *o = json_object_new_object();
        add_str(o, "event", type_names[e->type]);
        if (e->type != KN_LIVE_EVENT_OVERFLOW) {
                add_str(o, "action", e->removed ? "del" : "new");
                add_int(o, "ifindex", e->ifindex);
                if (e->ifname[0])
                        add_str(o, "ifname", e->ifname);
        }
        if (e->type == KN_LIVE_EVENT_LINK) {
                if (e->state)
                        add_str(o, "state", kn_link_state_to_string(e->state));
                json_object_object_add(o, "up", json_object_new_boolean(e->flags & IFF_UP));
                json_object_object_add(o, "carrier",
                                       json_object_new_boolean(e->flags & IFF_LOWER_UP));
                add_int(o, "mtu", e->mtu);
                if (e->mac[0])
                        add_str(o, "mac", e->mac);
                if (e->kind[0])
                        add_str(o, "kind", e->kind);
                if (e->master)
                        add_int(o, "master", e->master);
        } else if (e->type == KN_LIVE_EVENT_ADDR || e->type == KN_LIVE_EVENT_ROUTE) {
                add_str(o, "family", e->family == AF_INET ? "ipv4" : "ipv6");
                add_str(o, e->type == KN_LIVE_EVENT_ADDR ? "address" : "destination", e->address);
                add_int(o, "prefix", e->prefix);
                if (e->type == KN_LIVE_EVENT_ROUTE) {
                        if (e->gateway[0])
                                add_str(o, "gateway", e->gateway);
                        add_int(o, "table", e->table);
                }
        }
        char *s = kn_xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        return s;
}
