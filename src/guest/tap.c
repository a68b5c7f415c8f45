/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kvmnet/tap.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "kvmnet/name.h"
#include "macro.h"

/* Numbers tried before kn_tap_create() gives up on finding a free name. */
#define TAP_NAME_SPACE 100000u

void kn_tap_close(int fds[], unsigned n) {
        for (unsigned i = 0; i < n; i++)
                if (fds[i] >= 0) {
                        close(fds[i]);
                        fds[i] = -1;
                }
}

static int open_tun(kn_error *err) {
        int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
                return kn_error_set(err, ENOENT, "no /dev/net/tun: the tun module is missing");
        if (fd < 0)
                return kn_error_set(err, errno, "cannot open /dev/net/tun: %m");
        return fd;
}

/* One TUNSETIFF on a fresh /dev/net/tun fd.  Returns the fd or -errno
 * (no message: the caller knows what the failure means). */
static int tun_attach(const char *name, short flags, char ret_name[IFNAMSIZ], kn_error *err) {
        _cleanup_close_ int fd = open_tun(err);
        if (fd < 0)
                return fd;
        struct ifreq ifr = {0};
        memcpy(ifr.ifr_name, name, strlen(name));
        ifr.ifr_flags = flags;
        if (ioctl(fd, TUNSETIFF, &ifr) < 0)
                return -errno;
        if (ret_name)
                memcpy(ret_name, ifr.ifr_name, IFNAMSIZ);
        return TAKE_FD(fd);
}

/* Create name exclusively: IFF_TUN_EXCL makes the kernel refuse (EBUSY)
 * when the name exists, instead of attaching us to someone else's
 * multiqueue tap. */
static int tap_create_first(const char *name, short flags, char created[IFNAMSIZ], kn_error *err) {
        if (if_nametoindex(name) > 0)
                return -EEXIST;
        int fd = tun_attach(name, flags | IFF_TUN_EXCL, created, err);
        if (fd == -EBUSY)
                return -EEXIST;
        return fd;
}

static unsigned next_tap_number;

static int tap_create_any(short flags, char created[IFNAMSIZ], kn_error *err) {
        for (unsigned i = 0; i < TAP_NAME_SPACE; i++) {
                unsigned k =
                        __atomic_fetch_add(&next_tap_number, 1, __ATOMIC_RELAXED) % TAP_NAME_SPACE;
                char name[IFNAMSIZ];
                snprintf(name, sizeof name, KN_TAP_PREFIX "%u", k);
                int fd = tap_create_first(name, flags, created, err);
                if (fd != -EEXIST)
                        return fd;
        }
        return kn_error_set(err, ENOSPC, "no free tap name " KN_TAP_PREFIX "0.." KN_TAP_PREFIX "%u",
                            TAP_NAME_SPACE - 1);
}

int kn_tap_create(const char *name, unsigned queues, bool vnet_hdr, int fds[],
                  char ret_name[IFNAMSIZ], kn_error *err) {
        if (queues < 1 || queues > KN_TAP_MAX_QUEUES)
                return kn_error_set(err, EINVAL, "tap queues %u out of range 1..%d", queues,
                                    KN_TAP_MAX_QUEUES);
        bool named = !isempty(name);
        if (named) {
                int r = kn_ifname_validate(name, "tap", err);
                if (r < 0)
                        return r;
        }
        short flags = IFF_TAP | IFF_NO_PI;
        if (vnet_hdr)
                flags |= IFF_VNET_HDR;
        if (queues > 1)
                flags |= IFF_MULTI_QUEUE;

        for (unsigned i = 0; i < queues; i++)
                fds[i] = -1;
        char created[IFNAMSIZ] = "";
        int fd = named ? tap_create_first(name, flags, created, err)
                       : tap_create_any(flags, created, err);
        if (fd == -EEXIST)
                return kn_error_set(err, EEXIST, "tap %s: an interface of that name exists", name);
        if (fd < 0)
                return kn_error_set(err, -fd, "creating tap%s%s: %s", named ? " " : "",
                                    named ? name : "", strerror(-fd));
        fds[0] = fd;

        for (unsigned i = 1; i < queues; i++) {
                fd = tun_attach(created, flags, NULL, err);
                if (fd < 0) {
                        /* Closing every queue removes the tap again. */
                        kn_tap_close(fds, i);
                        return kn_error_set(err, -fd, "opening queue %u of tap %s: %s", i, created,
                                            strerror(-fd));
                }
                fds[i] = fd;
        }
        if (ret_name)
                memcpy(ret_name, created, IFNAMSIZ);
        return 0;
}

void kn_tap_host_mac(const uint8_t guest_mac[6], uint8_t ret[6]) {
        memcpy(ret, guest_mac, 6);
        ret[0] = 0xFE;
}

/* SIOCSIF* on a throw-away socket, in this thread's namespace. */
static int if_ioctl(const char *name, unsigned long req, struct ifreq *ifr) {
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return -errno;
        snprintf(ifr->ifr_name, IFNAMSIZ, "%s", name);
        if (ioctl(s, req, ifr) < 0)
                return -errno;
        return 0;
}

int kn_tap_set_mac(const char *name, const uint8_t mac[6], kn_error *err) {
        struct ifreq ifr = {0};
        ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
        memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
        int r = if_ioctl(name, SIOCSIFHWADDR, &ifr);
        if (r < 0)
                return kn_error_set(
                        err, -r, "setting MAC %02x:%02x:%02x:%02x:%02x:%02x on tap %s: %s", mac[0],
                        mac[1], mac[2], mac[3], mac[4], mac[5], name, strerror(-r));
        return 0;
}

int kn_tap_set_mtu(const char *name, unsigned mtu, kn_error *err) {
        if (mtu < 68 || mtu > 65535)
                return kn_error_set(err, EINVAL, "MTU %u for tap %s out of range 68..65535", mtu,
                                    name);
        struct ifreq ifr = {.ifr_mtu = (int) mtu};
        int r = if_ioctl(name, SIOCSIFMTU, &ifr);
        if (r < 0)
                return kn_error_set(err, -r, "setting MTU %u on tap %s: %s", mtu, name,
                                    strerror(-r));
        return 0;
}

int kn_tap_set_up(const char *name, bool up, kn_error *err) {
        struct ifreq ifr = {0};
        int r = if_ioctl(name, SIOCGIFFLAGS, &ifr);
        if (r >= 0) {
                if (up)
                        ifr.ifr_flags |= IFF_UP;
                else
                        ifr.ifr_flags &= ~IFF_UP;
                r = if_ioctl(name, SIOCSIFFLAGS, &ifr);
        }
        if (r < 0)
                return kn_error_set(err, -r, "setting tap %s %s: %s", name, up ? "up" : "down",
                                    strerror(-r));
        return 0;
}

int kn_tap_set_bridge(const char *name, const char *bridge, kn_error *err) {
        unsigned ifindex = if_nametoindex(name);
        if (ifindex == 0)
                return kn_error_set(err, errno, "tap %s: %m", name);
        struct ifreq ifr = {.ifr_ifindex = (int) ifindex};
        int r = if_ioctl(bridge, SIOCBRADDIF, &ifr);
        if (r < 0)
                return kn_error_set(err, -r, "adding tap %s to bridge %s: %s", name, bridge,
                                    strerror(-r));
        return 0;
}
