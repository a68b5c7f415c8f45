/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* dnsmasq's files for one network: the configuration, the static DHCP
 * hosts and the DNS names (see dnsmasq.h). */

#include <fcntl.h>

#include "dnsmasq-private.h"
#include "mac.h"
#include "macro.h"
#include "mkdir.h"
#include "rootfs.h"
#include "strbuf.h"
#include "vnet-private.h"

#define DEFAULT_LEASE_TIME 3600
/* A range's share of dhcp-lease-max, for IPv6 ranges of any size. */
#define RANGE_LEASES_MAX (1u << 20)
/* dhcp-lease-max beyond the ranges, for static hosts: a fixed number, so
 * adding a host (net-update) leaves NET.conf as it is and needs no
 * restart. */
#define HOST_LEASES 1024

void kn_dnsmasq_paths_init(kn_dnsmasq_paths *p, const char *state_dir, const char *network) {
        p->conf = kn_xasprintf("%s/%s.conf", state_dir, network);
        p->hostsfile = kn_xasprintf("%s/%s.hostsfile", state_dir, network);
        p->addnhosts = kn_xasprintf("%s/%s.addnhosts", state_dir, network);
        p->leases = kn_xasprintf("%s/%s.leases", state_dir, network);
        p->pid = kn_xasprintf("%s/%s.pid", state_dir, network);
        p->log = kn_xasprintf("%s/%s.log", state_dir, network);
}

void kn_dnsmasq_paths_done(kn_dnsmasq_paths *p) {
        free(p->conf);
        free(p->hostsfile);
        free(p->addnhosts);
        free(p->leases);
        free(p->pid);
        free(p->log);
        *p = (kn_dnsmasq_paths){0};
}

/* A host or domain name: letters, digits, '-' and '.' (RFC 1123). */
static int check_hostname(const char *net, const char *what, const char *s, kn_error *err) {
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > 253 ||
            strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != n ||
            s[0] == '-' || s[0] == '.')
                return kn_error_set(err, EINVAL,
                                    "network %s: %s '%s' is not a host name (letters, digits, "
                                    "'-' and '.')",
                                    net, what, s ? s : "");
        return 0;
}

typedef struct parsed {
        kn_vnet_addr *nets; /* one per subnet, masked */
        unsigned lease_max;
} parsed;

/* The subnet that holds a, or -1. */
static int subnet_of(const kn_dnsmasq_config *c, const parsed *ps, const kn_vnet_addr *a) {
        for (size_t k = 0; k < c->n_subnets; k++)
                if (kn_vnet_addr_in(a, &ps->nets[k], c->subnets[k].prefix))
                        return (int) k;
        return -1;
}

static int check_ip_in(const kn_dnsmasq_config *c, const parsed *ps, const char *what,
                       const char *ip, kn_vnet_addr *a, int *k, kn_error *err) {
        int r = kn_vnet_addr_parse(what, ip, a, err);
        if (r < 0) {
                kn_error_prefix(err, "network %s", c->network);
                return r;
        }
        *k = subnet_of(c, ps, a);
        if (*k < 0)
                return kn_error_set(err, EINVAL, "network %s: %s %s is in none of its subnets",
                                    c->network, what, ip);
        return 0;
}

/* Number of addresses from a to b (same family), at most cap; 0 if b < a. */
static unsigned span(const kn_vnet_addr *a, const kn_vnet_addr *b, unsigned cap) {
        int c = memcmp(a->b, b->b, sizeof a->b);
        if (c > 0)
                return 0;
        if (a->family == AF_INET6 && memcmp(a->b, b->b, 12) != 0)
                return cap;
        unsigned off = a->family == AF_INET ? 0 : 12;
        uint64_t x = 0, y = 0;
        for (unsigned k = off; k < off + 4; k++) {
                x = x << 8 | a->b[k];
                y = y << 8 | b->b[k];
        }
        uint64_t n = y - x + 1;
        return n > cap ? cap : (unsigned) n;
}

static int check_config(const kn_dnsmasq_config *c, parsed *ps, kn_error *err) {
        int r = kn_object_name_validate(c->network, "network", err);
        if (r < 0)
                return r;
        r = kn_ifname_validate(c->bridge, "bridge", err);
        if (r < 0) {
                kn_error_prefix(err, "network %s", c->network);
                return r;
        }
        if (isempty(c->state_dir) || c->state_dir[0] != '/' || strchr(c->state_dir, '\n'))
                return kn_error_set(err, EINVAL,
                                    "network %s: state directory '%s' is not an absolute path",
                                    c->network, c->state_dir ? c->state_dir : "");
        if (c->domain && (r = check_hostname(c->network, "domain", c->domain, err)) < 0)
                return r;
        ps->nets = kn_xcalloc(c->n_subnets + 1, sizeof *ps->nets);
        for (size_t k = 0; k < c->n_subnets; k++) {
                r = kn_vnet_subnet_parse("subnet", c->subnets[k].address, c->subnets[k].prefix,
                                         &ps->nets[k], err);
                if (r < 0) {
                        kn_error_prefix(err, "network %s", c->network);
                        return r;
                }
        }
        for (size_t k = 0; k < c->n_ranges; k++) {
                kn_vnet_addr a, b;
                int ka, kb;
                const kn_dnsmasq_range *g = &c->ranges[k];
                if ((r = check_ip_in(c, ps, "DHCP range start", g->start, &a, &ka, err)) < 0 ||
                    (r = check_ip_in(c, ps, "DHCP range end", g->end, &b, &kb, err)) < 0)
                        return r;
                unsigned n = ka == kb ? span(&a, &b, RANGE_LEASES_MAX) : 0;
                if (n == 0)
                        return kn_error_set(err, EINVAL,
                                            "network %s: DHCP range %s-%s does not run upwards "
                                            "inside one subnet",
                                            c->network, g->start, g->end);
                ps->lease_max += n;
        }
        for (size_t k = 0; k < c->n_hosts; k++) {
                const kn_dnsmasq_host *h = &c->hosts[k];
                kn_vnet_addr a;
                int ka;
                uint8_t mac[KN_MAC_LEN];
                if ((r = check_ip_in(c, ps, "DHCP host address", h->ip, &a, &ka, err)) < 0)
                        return r;
                if (!h->mac && !h->name)
                        return kn_error_set(err, EINVAL,
                                            "network %s: DHCP host %s has neither a MAC nor a "
                                            "name",
                                            c->network, h->ip);
                if (h->mac && kn_mac_from_string(h->mac, mac) < 0)
                        return kn_error_set(err, EINVAL,
                                            "network %s: DHCP host %s: '%s' is not a MAC "
                                            "address (aa:bb:cc:dd:ee:ff)",
                                            c->network, h->ip, h->mac);
                if (h->name && (r = check_hostname(c->network, "DHCP host name", h->name, err)) < 0)
                        return r;
        }
        for (size_t k = 0; k < c->n_dns_hosts; k++) {
                const kn_dnsmasq_dns_host *h = &c->dns_hosts[k];
                kn_vnet_addr a;
                if ((r = kn_vnet_addr_parse("DNS host address", h->ip, &a, err)) < 0) {
                        kn_error_prefix(err, "network %s", c->network);
                        return r;
                }
                if (h->n_names == 0)
                        return kn_error_set(err, EINVAL, "network %s: DNS host %s has no name",
                                            c->network, h->ip);
                for (size_t j = 0; j < h->n_names; j++)
                        if ((r = check_hostname(c->network, "DNS host name", h->names[j], err)) < 0)
                                return r;
        }
        return 0;
}

static void put_ranges(kn_strbuf *b, const kn_dnsmasq_config *c, const parsed *ps) {
        unsigned lt = c->lease_time ? c->lease_time : DEFAULT_LEASE_TIME;
        for (size_t k = 0; k < c->n_subnets; k++) {
                const kn_vnet_addr *net = &ps->nets[k];
                unsigned prefix = c->subnets[k].prefix;
                char mask[INET6_ADDRSTRLEN], addr[INET6_ADDRSTRLEN];
                kn_vnet_addr m = {.family = AF_INET};
                memset(m.b, 0xff, 4);
                kn_vnet_addr_mask(&m, prefix);
                kn_vnet_addr_format(&m, mask, sizeof mask);
                kn_vnet_addr_format(net, addr, sizeof addr);
                bool any = false, hosts = false;
                for (size_t j = 0; j < c->n_ranges; j++) {
                        kn_vnet_addr a;
                        kn_vnet_addr_parse("", c->ranges[j].start, &a, NULL);
                        if (!kn_vnet_addr_in(&a, net, prefix))
                                continue;
                        any = true;
                        if (net->family == AF_INET)
                                kn_strbuf_printf(b, "dhcp-range=%s,%s,%s,%u\n", c->ranges[j].start,
                                                 c->ranges[j].end, mask, lt);
                        else
                                kn_strbuf_printf(b, "dhcp-range=%s,%s,%u,%u\n", c->ranges[j].start,
                                                 c->ranges[j].end, prefix, lt);
                }
                for (size_t j = 0; j < c->n_hosts; j++) {
                        kn_vnet_addr a;
                        kn_vnet_addr_parse("", c->hosts[j].ip, &a, NULL);
                        hosts |= kn_vnet_addr_in(&a, net, prefix);
                }
                /* Hosts only: DHCP for them and nobody else. */
                if (!any && hosts && net->family == AF_INET)
                        kn_strbuf_printf(b, "dhcp-range=%s,static,%s,%u\n", addr, mask, lt);
                else if (!any && hosts)
                        kn_strbuf_printf(b, "dhcp-range=%s,static,%u,%u\n", addr, prefix, lt);
                else if (!any && c->ipv6_ra && net->family == AF_INET6)
                        kn_strbuf_printf(b, "dhcp-range=%s,ra-only,%u\n", addr, prefix);
        }
}

static int config_text(const kn_dnsmasq_config *c, const kn_dnsmasq_paths *p, const parsed *ps,
                       char **ret) {
        _cleanup_strbuf_ kn_strbuf b = {0};
        kn_strbuf_printf(&b,
                         "# dnsmasq for kvmnet network %s: written by kvmnet at every start\n"
                         "# and update of the network; edits are lost.\n",
                         c->network);
        kn_strbuf_printf(&b, "pid-file=%s\n", p->pid);
        kn_strbuf_printf(&b, "dhcp-leasefile=%s\n", p->leases);
        kn_strbuf_printf(&b, "dhcp-hostsfile=%s\n", p->hostsfile);
        kn_strbuf_printf(&b, "addn-hosts=%s\n", p->addnhosts);
        /* The bridge only, also when it comes and goes (bind-dynamic). */
        kn_strbuf_printf(&b, "interface=%s\nexcept-interface=lo\nbind-dynamic\n", c->bridge);
        kn_strbuf_puts(&b, "no-hosts\n");
        kn_strbuf_puts(&b, c->forward_dns ? "strict-order\n" : "no-resolv\n");
        if (c->domain)
                kn_strbuf_printf(&b, "domain=%s\nlocal=/%s/\nexpand-hosts\n", c->domain, c->domain);
        bool v6 = false;
        for (size_t k = 0; k < c->n_subnets; k++)
                v6 |= ps->nets[k].family == AF_INET6;
        /* no-ping: dnsmasq would hold each new offer back for its ICMP
         * address-in-use probe (seconds); the range is dnsmasq's alone on
         * a bridge kvmnet owns. */
        if (c->n_ranges || c->n_hosts)
                kn_strbuf_puts(&b, "dhcp-authoritative\ndhcp-no-override\nno-ping\n");
        put_ranges(&b, c, ps);
        if (c->n_ranges || c->n_hosts)
                kn_strbuf_printf(&b, "dhcp-lease-max=%u\n", ps->lease_max + HOST_LEASES);
        if (c->ipv6_ra && v6)
                kn_strbuf_puts(&b, "enable-ra\n");
        *ret = kn_strbuf_steal(&b);
        return 0;
}

int kn_dnsmasq_config_text(const kn_dnsmasq_config *c, char **ret, kn_error *err) {
        parsed ps = {0};
        int r = check_config(c, &ps, err);
        if (r == 0) {
                kn_dnsmasq_paths p;
                kn_dnsmasq_paths_init(&p, c->state_dir, c->network);
                r = config_text(c, &p, &ps, ret);
                kn_dnsmasq_paths_done(&p);
        }
        free(ps.nets);
        return r;
}

/* dhcp-hostsfile: one dhcp-host= value per line: MAC,NAME,IP (IPv6 in
 * brackets). */
static char *hosts_text(const kn_dnsmasq_config *c) {
        _cleanup_strbuf_ kn_strbuf b = {0};
        for (size_t k = 0; k < c->n_hosts; k++) {
                const kn_dnsmasq_host *h = &c->hosts[k];
                bool v6 = strchr(h->ip, ':') != NULL;
                if (h->mac)
                        kn_strbuf_printf(&b, "%s,", h->mac);
                if (h->name)
                        kn_strbuf_printf(&b, "%s,", h->name);
                kn_strbuf_printf(&b, v6 ? "[%s]\n" : "%s\n", h->ip);
        }
        return kn_strbuf_steal(&b);
}

/* addn-hosts: /etc/hosts format. */
static char *addnhosts_text(const kn_dnsmasq_config *c) {
        _cleanup_strbuf_ kn_strbuf b = {0};
        for (size_t k = 0; k < c->n_dns_hosts; k++) {
                kn_strbuf_puts(&b, c->dns_hosts[k].ip);
                for (size_t j = 0; j < c->dns_hosts[k].n_names; j++)
                        kn_strbuf_printf(&b, " %s", c->dns_hosts[k].names[j]);
                kn_strbuf_putc(&b, '\n');
        }
        return kn_strbuf_steal(&b);
}

/* Write path unless it holds text already; *changed if it was written. */
static int write_if_changed(const char *path, const char *text, bool *changed, kn_error *err) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                size_t n = strlen(text);
                _cleanup_free_ char *old = kn_xmalloc(n + 2);
                ssize_t got = read(fd, old, n + 1);
                if (got == (ssize_t) n && memcmp(old, text, n) == 0)
                        return 0;
        }
        /* 0644: dnsmasq re-reads the hosts files as "nobody". */
        int r = kn_write_file_atomic(path, text, strlen(text), 0644, false, err);
        if (r < 0)
                return r;
        *changed = true;
        return 0;
}

int kn_dnsmasq_write_files(const kn_dnsmasq_config *c, const kn_dnsmasq_paths *p,
                           bool *conf_changed, bool *hosts_changed, kn_error *err) {
        parsed ps = {0};
        _cleanup_free_ char *conf = NULL;
        int r = check_config(c, &ps, err);
        if (r == 0)
                r = config_text(c, p, &ps, &conf);
        free(ps.nets);
        if (r < 0)
                return r;
        r = kn_mkdir_p(c->state_dir, 0755);
        if (r < 0)
                return kn_error_set(err, -r, "network %s: state directory %s: %s", c->network,
                                    c->state_dir, strerror(-r));
        _cleanup_free_ char *hosts = hosts_text(c);
        _cleanup_free_ char *addn = addnhosts_text(c);
        *conf_changed = *hosts_changed = false;
        if ((r = write_if_changed(p->hostsfile, hosts, hosts_changed, err)) < 0 ||
            (r = write_if_changed(p->addnhosts, addn, hosts_changed, err)) < 0 ||
            (r = write_if_changed(p->conf, conf, conf_changed, err)) < 0)
                return r;
        return 0;
}
