/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Private to src/live: the namespace handle, the netlink request helper,
 * the snapshot of parsed rtnetlink records, the per-kind vtables and the
 * undo journal. */

#include <linux/netlink.h>
#include <net/if.h>
#include <linux/if.h> /* after net/if.h: IF_OPER_* */
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <stdint.h>

#include "kvmnet/live.h"
#include "macro.h"
#include "strbuf.h"

struct kn_netns {
        char *name;         /* as given, "" for the caller's own */
        int fd;             /* the namespace, -1 for the caller's own */
        unsigned long ino;  /* namespace inode: names DHCP state files */
        struct nl_sock *rt; /* rtnetlink requests */
        struct nl_sock *genl;
        int ethtool_family; /* genetlink id; 0 not resolved yet, < 0 unavailable */
        char *state_dir;
        long dhcp_timeout_ms; /* kn_netns_set_dhcp_timeout(); 0: the default */
        uint8_t *buf;         /* receive buffer */
        size_t buf_size;
};

/* A netlink socket of `protocol` created inside ns's namespace, with
 * extended acks and strict dump checking, connected. */
int kn_netns_socket(kn_netns *ns, int protocol, struct nl_sock **ret, kn_error *err);

/* ---- Requests ---- */

/* Called once per reply message of a request (a GET answer, each part of a
 * dump).  Return < 0 to abort. */
typedef int (*kn_nl_reply_fn)(struct nlmsghdr *h, void *userdata);

/* Send m (freed) on sk (ns->rt if NULL), with NLM_F_ACK, and read until the
 * request is complete.  A kernel error returns -errno and sets err to
 * "WHAT: KERNEL MESSAGE (strerror)" (WHAT formatted only then).  A dump
 * the kernel flagged NLM_F_DUMP_INTR returns -EINTR, err untouched. */
_printf_(7, 8) int kn_nl_call(kn_netns *ns, struct nl_sock *sk, struct nl_msg *m, kn_nl_reply_fn fn,
                              void *userdata, kn_error *err, const char *what_fmt, ...);

/* Send n messages (freed) in one sendmsg and read every ack; the kernel
 * handles them one after the other before anything else.  The first
 * error is returned as kn_nl_call does. */
_printf_(5, 6) int kn_nl_call_batch(kn_netns *ns, struct nl_msg **m, size_t n, kn_error *err,
                                    const char *what_fmt, ...);

/* A fresh RTM_*LINK message with an ifinfomsg for ifindex (0: none) and
 * IFLA_IFNAME if name is not NULL. */
struct nl_msg *kn_msg_link(int type, int flags, int ifindex, const char *name);
struct nl_msg *kn_msg_link_up(int ifindex, bool up);
struct nl_msg *kn_msg_link_u32(int ifindex, int attr, uint32_t value);
struct nl_msg *kn_msg_link_mac(int ifindex, const char *mac);
/* net.ipv4.conf.<link>.promote_secondaries, through IFLA_AF_SPEC. */
struct nl_msg *kn_msg_link_promote_secondaries(int ifindex, bool on);
int kn_msg_put_mac(struct nl_msg *m, const char *mac);
/* Add or delete an address; prefix < 0 means a host address. */
struct nl_msg *kn_msg_addr(int type, int ifindex, int family, const char *address, int prefix);
/* Add (replace) or delete a default route via gateway on ifindex, main table. */
struct nl_msg *kn_msg_default_route(int type, int ifindex, int family, const char *gateway,
                                    uint32_t priority, uint8_t protocol);

/* ---- Snapshot: parsed dumps ---- */

typedef struct kn_live_kind kn_live_kind;

typedef struct kn_nl_link {
        int ifindex;
        char name[IFNAMSIZ];
        char kind[32];
        const kn_live_kind *ops; /* never NULL: ethernet for other kinds */
        unsigned flags;
        unsigned mtu;
        uint8_t operstate;
        char mac[KN_MAC_STRLEN + 1];
        int master;
        int link; /* IFLA_LINK in this namespace, 0 if none */
        uint32_t group;
        unsigned speed;
        int promote_secondaries; /* net.ipv4.conf.X.promote_secondaries, -1 unknown */
        bool aux;                /* only read for its name (a vlan's parent) */
        bool have_addrs;         /* its addresses and routes were read */
        int order;               /* read order: the later of two reads wins */
        union {
                struct {
                        int stp;        /* -1 unknown */
                        long fwd_delay; /* clock_t (1/100 s), -1 unknown */
                } br;
                struct {
                        int mode; /* kernel's BOND_MODE_*, -1 unknown */
                        uint32_t miimon, updelay, downdelay, arp_interval, arp_validate;
                        int use_carrier;
                        char arp_target[46];
                        int primary;
                } bond;
                struct {
                        int id;
                } vlan;
        } u;
        int first_addr, first_route, first_child, next_sibling; /* -1: none */
} kn_nl_link;

typedef struct kn_nl_addr {
        int ifindex;
        uint8_t family, prefix, scope;
        uint32_t flags; /* IFA_F_* */
        char address[46];
        int next;
} kn_nl_addr;

/* Only default routes (dst_len 0) of the main table are kept. */
typedef struct kn_nl_route {
        int oif;
        uint8_t family, protocol;
        uint32_t priority;
        char gateway[46];
        int next;
} kn_nl_route;

typedef struct kn_nl_snap {
        kn_nl_link *links;
        size_t n_links, alloc_links;
        kn_nl_addr *addrs;
        size_t n_addrs, alloc_addrs;
        kn_nl_route *routes;
        size_t n_routes, alloc_routes;
        bool indexed;
} kn_nl_snap;

void kn_snap_done(kn_nl_snap *s);
static inline void kn_snap_donep(kn_nl_snap *s) {
        kn_snap_done(s);
}
#define _cleanup_snap_ _cleanup_(kn_snap_donep)

/* Dumps append to the snapshot. */
int kn_snap_dump_links(kn_netns *ns, kn_nl_snap *s, int master, kn_error *err);
/* One link by name or (name NULL) ifindex; returns its index in s->links,
 * -ENODEV if none. A link already in s is returned, not read again. */
int kn_snap_get_link(kn_netns *ns, kn_nl_snap *s, const char *name, int ifindex, kn_error *err);
/* Addresses (both families) of one link, or of all with ifindex 0. */
int kn_snap_dump_addrs(kn_netns *ns, kn_nl_snap *s, int ifindex, kn_error *err);
/* Default routes of the main table, of one oif or all (0); family 0: both. */
int kn_snap_dump_routes(kn_netns *ns, kn_nl_snap *s, int family, int oif, kn_error *err);
/* Link speeds from ethtool netlink, for up links (ifindex 0: all). */
int kn_snap_read_speeds(kn_netns *ns, kn_nl_snap *s, int ifindex);
/* Sort links by ifindex and chain addresses, routes, ports to them. */
void kn_snap_index(kn_nl_snap *s);
/* Index of a link in s, or -1 (s must be indexed). */
int kn_snap_find(const kn_nl_snap *s, int ifindex);
int kn_snap_find_name(const kn_nl_snap *s, const char *name);

/* Append the RTM_NEWLINK in h to s (a kn_nl_reply_fn). */
int kn_snap_on_link(struct nlmsghdr *h, void *userdata);

/* Read the links a definition names (each node, a vlan's parent as aux),
 * their addresses, and their default routes where a gateway is asked.
 * With extra_ports, the live ports of existing masters too.  Link and
 * route dumps cost in proportion to the links and routes of the whole
 * namespace (the kernel sizes every link for a link dump, and walks the
 * table even when filtering by RTA_OIF), so they are left out unless
 * needed. */
int kn_snap_read_def(kn_netns *ns, kn_nl_snap *s, const kn_iface *w, bool extra_ports,
                     kn_error *err);

/* Read `name` and everything below it (ports, slaves; a vlan's parent as
 * aux): links, addresses, default routes, and speeds if `speeds`. */
int kn_snap_read_tree(kn_netns *ns, kn_nl_snap *s, const char *name, bool speeds, kn_error *err);

/* Parse one RTM_NEWLINK / RTM_NEWADDR into a record (events use these
 * too).  Returns 0, or -ENOENT if the message is not one to keep. */
int kn_nl_parse_link(struct nlmsghdr *h, kn_nl_link *l);
int kn_nl_parse_addr(struct nlmsghdr *h, kn_nl_addr *a);

/* The live model of s->links[k] (s indexed), children included. */
kn_iface *kn_snap_model(kn_netns *ns, const kn_nl_snap *s, int k);

/* ---- Kinds ---- */

struct kn_live_kind {
        kn_iface_type type;
        const char *kind; /* IFLA_INFO_KIND to create, NULL: not created */
        bool has_ports;
        bool port_down_to_enslave;
        /* IFLA_INFO_DATA of a dumped link. */
        void (*parse)(kn_nl_link *l, struct nlattr *data);
        /* Kind-specific model fields from the record. */
        void (*to_model)(const kn_nl_link *l, const kn_nl_snap *s, kn_iface *i);
        /* Options `want` gives that differ from `live` (all if live is NULL)
         * go into fwd's IFLA_INFO_DATA, the live values into undo's (if
         * not NULL).  Returns how many differ. */
        int (*put_options)(const kn_iface *want, const kn_nl_link *live, const kn_nl_snap *s,
                           struct nl_msg *fwd, struct nl_msg *undo);
        /* Before anything is done: what the kernel would refuse or cannot
         * change on a live link (a vlan's tag, a bond's mode).  live is NULL
         * for a link to be created.  Sets err and returns < 0. */
        int (*check)(const kn_iface *want, const kn_nl_link *live, const kn_nl_snap *s,
                     kn_error *err);
        /* Extra attributes of the creation message (a vlan's IFLA_LINK). */
        int (*put_create)(const kn_iface *want, const kn_nl_snap *s, struct nl_msg *m,
                          kn_error *err);
        /* Kind-specific field comparison for kn_live_verify. */
        void (*verify)(const kn_iface *want, const kn_iface *live, kn_strbuf *report);
};

extern const kn_live_kind kn_kind_ethernet, kn_kind_bridge, kn_kind_bond, kn_kind_vlan;
const kn_live_kind *kn_live_kind_by_info(const char *info_kind);
const kn_live_kind *kn_live_kind_by_type(kn_iface_type type);

/* "LABEL: what is wrong" line for verification reports. */
_printf_(3, 4) void kn_report(kn_strbuf *report, const char *ifname, const char *fmt, ...);

/* ---- Undo journal ---- */

typedef int (*kn_undo_fn)(kn_netns *ns, const char *arg, kn_error *err);

typedef struct kn_live_step {
        char *what;
        struct nl_msg *undo[2]; /* sent in one batch when both are set; or: */
        kn_undo_fn undo_fn;
        char *undo_arg;
} kn_live_step;

struct kn_live_txn {
        kn_live_step *steps;
        size_t n, alloc;
        int log_fd; /* -1: not logged (kn_live_txn_set_log) */
        /* What the last rollback undid, in the order it did (newest first). */
        char **undone;
        size_t n_undone;
};

/* Do one step: send fwd (freed), with fn called for replies (NLM_F_ECHO).
 * On success the undo message (may be NULL: nothing to undo; freed on
 * failure) is recorded under the description.  A NULL fwd (a request that
 * could not be built) is -EINVAL. */
_printf_(8, 9) int kn_txn_call(kn_netns *ns, kn_live_txn *t, struct nl_msg *fwd,
                               struct nl_msg *undo, kn_nl_reply_fn fn, void *userdata,
                               kn_error *err, const char *what_fmt, ...);
#define kn_txn_do(ns, t, fwd, undo, err, ...)                                                      \
        kn_txn_call(ns, t, fwd, undo, NULL, NULL, err, __VA_ARGS__)
/* Record what the kernel will undo by itself as a side effect of a later
 * step (the routes of a removed address), so that undo restores it. */
_printf_(3, 4) void kn_txn_note(kn_live_txn *t, struct nl_msg *undo, const char *what_fmt, ...);
/* Record a step done elsewhere, undone by fn(ns, arg).  fn must be in the
 * table of txn.c, so a log can name it. */
void kn_txn_record(kn_live_txn *t, const char *what, kn_undo_fn fn, const char *arg);
/* Two requests (fwd1 may be NULL) in one sendmsg, processed back to back by the kernel (no
 * packet is handled between them), undone by up to two in one batch. */
_printf_(8, 9) int kn_txn_batch(kn_netns *ns, kn_live_txn *t, struct nl_msg *fwd0,
                                struct nl_msg *fwd1, struct nl_msg *undo0, struct nl_msg *undo1,
                                kn_error *err, const char *what_fmt, ...);
/* Undo function: apply the XML definition in arg (iface-destroy's undo). */
int kn_live_apply_xml_undo(kn_netns *ns, const char *xml, kn_error *err);

/* ---- DHCP ---- */

/* The pid of kvmnet's DHCP client for ifname, 0 if none runs. */
int kn_dhcp_running(kn_netns *ns, const char *ifname, int family);
/* Start the client and wait for the first lease (or failure). */
int kn_dhcp_start(kn_netns *ns, const char *ifname, int family, kn_error *err);
/* Stop it (a client that is not running is not an error). */
int kn_dhcp_stop(kn_netns *ns, const char *ifname, int family, kn_error *err);
int kn_dhcp_stop_undo(kn_netns *ns, const char *ifname, kn_error *err);
/* Move kvmnet's client from one link to another, keeping the lease: the
 * old client is killed without releasing, the new one asks for the same
 * address (same MAC on both, so the server sees the same client). */
int kn_dhcp_move(kn_netns *ns, const char *from, const char *to, kn_error *err);
/* Undo function; arg is "FROM TO". */
int kn_dhcp_move_undo(kn_netns *ns, const char *arg, kn_error *err);
