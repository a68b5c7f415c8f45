#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The lease script of the udhcpc that run-ifupdown.sh gives ifupdown's
# "inet dhcp" (busybox udhcpc ships none): what a distribution's default
# script does.  deconfig: the link up, its IPv4 addresses gone; bound and
# renew: the leased address with its prefix and broadcast, default routes
# through the routers offered (lowest metric first).
case "$1" in
deconfig)
        ip link set dev "$interface" up
        ip -4 addr flush dev "$interface"
        ;;
bound | renew)
        ip -4 addr flush dev "$interface"
        ip -4 addr add "$ip/${mask:-32}" ${broadcast:+broadcast "$broadcast"} dev "$interface" || exit 1
        while ip -4 route del default dev "$interface" 2>/dev/null; do :; done
        m=0
        for r in $router; do
                ip -4 route add default via "$r" dev "$interface" metric "$m"
                m=$((m + 1))
        done
        ;;
esac
exit 0
