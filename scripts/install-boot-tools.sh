#!/usr/bin/env bash
# Installs what the boot test (npm run test:boot) needs on the host, from Debian's packages:
#   mmdebstrap                 builds the stand-in image's root from Debian's mirror (scripts/boot-image.sh)
#   qemu-system-x86, qemu-utils   the VMs (TCG where KVM cannot run them) and their qcow2 overlays
#   dnsmasq-base               DHCP on the test's bridge: the stack's hosts by MAC (the binary, no service)
#   iproute2, util-linux       the bridge and taps, in namespaces of the test's own (unshare)
#   openssh-client             logs in as core with the spec's key
#   etcd-client                etcdctl, for the writes and reads across a power cut
#   etcd-server                its binary is the etcd stand-in image's (packed as a `docker save` archive)
#   tar, e2fsprogs             the archive; the image's ext4 root (mke2fs -d)
set -euo pipefail
packages=(mmdebstrap qemu-system-x86 qemu-utils dnsmasq-base iproute2 util-linux openssh-client etcd-client etcd-server tar e2fsprogs)
bash "$(dirname "$0")/apt-install.sh" "${packages[@]}"
