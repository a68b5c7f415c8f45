#!/bin/sh
# Install, from Debian, what building and testing kvmnet needs; quick no-op
# when everything is there already.  Used by `make`, `make check`, .ci/run.
set -eu

PKGS="build-essential meson ninja-build pkg-config
libxml2-dev libxml2-utils libjson-c-dev libcmocka-dev libnl-3-dev libnl-route-3-dev libnftables-dev libsystemd-dev
libvirt-clients ifupdown ifenslave bridge-utils iproute2 util-linux procps valgrind python3
dnsmasq-base iputils-ping nftables netplan.io network-manager dbus
qemu-system-x86 linux-image-amd64 busybox-static dash strace
systemd bash-completion groff-base debhelper dpkg-dev lintian
openssh-server openssh-client clang-format"

missing=""
for p in $PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
                missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# No service may start on this machine (network-manager would take over its
# links): a policy-rc.d that refuses, removed again unless it was there.
own_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
        $SUDO chmod +x /usr/sbin/policy-rc.d
        own_policy=1
fi
rc=0
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null || rc=$?
[ -z "$own_policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d
exit $rc
