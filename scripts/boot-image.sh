#!/usr/bin/env bash
# The boot test's stand-in for Flatcar's QEMU image, built from Debian's packages only (npm run test:boot).
# Prints the directory that holds it:
#   vmlinuz, initrd.img   Debian's kernel, and an initramfs made by dracut with Debian's Ignition module
#   root.qcow2            the root filesystem (ext4, no partition table: the kernel is booted directly)
#
# What Flatcar has and this root stands in for (each difference has its reason beside it below):
# systemd, Docker, sshd, DHCP on every interface (systemd-networkd), Ignition in the initramfs, a `core`
# user with sudo. No update_engine, locksmithd or k3s: Debian has none of them.
#
# Built once, then taken from the cache: /var/cache/coreform-boot/<key>/ (COREFORM_BOOT_CACHE elsewhere),
# keyed by this file's content, which holds the package list. Concurrent runs wait for one build (flock).
# Needs root, mmdebstrap and qemu-img (scripts/install-boot-tools.sh) and Debian's package mirror.
set -euo pipefail
self="$(readlink -f "$0")"

# Run by mmdebstrap (--customize-hook) on the new root, with /proc, /sys and /dev mounted there.
customize() {
  local r="$1"
  # Every interface by DHCP, as Flatcar's default network unit does; the address comes from the
  # test's dnsmasq, by MAC, as the libvirt network's DHCP hosts give it.
  mkdir -p "$r/etc/systemd/network"
  printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n' >"$r/etc/systemd/network/50-dhcp.network"
  chroot "$r" systemctl enable systemd-networkd.service
  # Debian's Ignition writes the core user's keys to ~/.ssh/authorized_keys.d/ignition; Flatcar merges
  # that directory into authorized_keys. sshd reads the fragment directly here.
  printf 'AuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys.d/ignition\nPasswordAuthentication no\n' \
    >"$r/etc/ssh/sshd_config.d/coreform.conf"
  # Host keys per machine, made at its first start as Flatcar does, not one set baked into the image;
  # Ed25519 only: an RSA key takes minutes to make under emulation.
  rm -f "$r"/etc/ssh/ssh_host_*
  echo 'HostKey /etc/ssh/ssh_host_ed25519_key' >>"$r/etc/ssh/sshd_config.d/coreform.conf"
  mkdir -p "$r/etc/systemd/system/ssh.service.d"
  printf '%s\n' '[Service]' 'ExecStartPre=' \
    "ExecStartPre=/bin/sh -c 'test -e /etc/ssh/ssh_host_ed25519_key || ssh-keygen -q -t ed25519 -N \"\" -f /etc/ssh/ssh_host_ed25519_key'" \
    'ExecStartPre=/usr/sbin/sshd -t' >"$r/etc/systemd/system/ssh.service.d/keygen.conf"
  # systemd's first boot applies Debian's presets ("enable *"): sshd must run as its service, not also
  # from ssh.socket, which would take port 22 per connection without the keys made above.
  chroot "$r" systemctl mask ssh.socket
  # Flatcar resolves its own hostname locally (nss-resolve); without that, every sudo here would wait for
  # the test's DNS, which has no upstream, before it says "unable to resolve host".
  sed -i -E 's/^(hosts:[[:space:]]+files)( myhostname)?/\1 myhostname/' "$r/etc/nsswitch.conf"
  grep -q '^hosts:.* myhostname' "$r/etc/nsswitch.conf"
  # Flatcar's core user may use sudo without a password; Ignition creates the user here.
  echo 'core ALL=(ALL) NOPASSWD: ALL' >"$r/etc/sudoers.d/core"
  chmod 0440 "$r/etc/sudoers.d/core"
  # Debian's Ignition always relabels for SELinux at the end of its files stage: a policy name, an empty
  # file_contexts and a setfiles that does nothing let it finish (SELinux stays disabled).
  mkdir -p "$r/etc/selinux/targeted/contexts/files"
  printf 'SELINUX=disabled\nSELINUXTYPE=targeted\n' >"$r/etc/selinux/config"
  : >"$r/etc/selinux/targeted/contexts/files/file_contexts"
  printf '#!/bin/sh\nexit 0\n' >"$r/usr/sbin/setfiles"
  chmod 0755 "$r/usr/sbin/setfiles"
  # The etcd stand-in: Flatcar's Docker pulls etcd's image from its registry; here the test hands each
  # node a read-only disk holding a `docker save` archive under the image name the spec renders, and
  # etcd-member.service, where Ignition placed it, wants this unit, which loads it first. Once per disk,
  # as a pull is: a reboot finds the image in Docker's store.
  cat >"$r/etc/systemd/system/coreform-etcd-standin.service" <<'UNIT'
[Unit]
Description=Load the boot test's etcd image (Flatcar pulls it from its registry)
Requires=docker.service dev-disk-by\x2did-virtio\x2dcoreform\x2dstandin.device
After=docker.service dev-disk-by\x2did-virtio\x2dcoreform\x2dstandin.device
Before=etcd-member.service
ConditionPathExists=!/var/lib/coreform-etcd-standin.loaded

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'docker load < /dev/disk/by-id/virtio-coreform-standin && touch /var/lib/coreform-etcd-standin.loaded'

[Install]
WantedBy=etcd-member.service
UNIT
  chroot "$r" systemctl enable coreform-etcd-standin.service
  # The initramfs: Ignition's module (stages fetch-offline, fetch, disks, mount, files), the network for
  # its downloads, and the drivers of the test's QEMU machine (virtio disks and NIC, fw_cfg).
  local kver
  kver="$(basename "$r"/lib/modules/*)"
  # zstd at a low level: dracut's default (gzip -9) takes minutes on a busy machine; the kernel reads
  # either, and unpacks zstd faster under emulation.
  chroot "$r" dracut --force --no-hostonly --add "ignition" --compress "zstd -q -3 -T0" \
    --add-drivers "qemu_fw_cfg virtio_blk virtio_net virtio_pci ext4" \
    "/boot/initrd.img-$kver" "$kver"
}
if [ "${1:-}" = --customize ]; then
  customize "$2"
  exit 0
fi

cache="${COREFORM_BOOT_CACHE:-/var/cache/coreform-boot}"
key="$(sha256sum "$self" | cut -c1-16)"
out="$cache/$key"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
# What a build killed before its end (SIGKILL, a power cut) left; no other build runs now.
rm -rf --one-file-system "$cache"/.build-*
if [ -f "$out/root.qcow2" ]; then
  echo "$out"
  exit 0
fi

suite=bookworm
mirror=http://deb.debian.org/debian
packages=(
  systemd-sysv udev dbus kmod linux-image-amd64
  # Ignition 2.14 (its dracut module and binary) and dracut with its network modules: Ignition needs a
  # network in the initramfs when a config downloads something, as Flatcar's initramfs gives it (its
  # dracut module needs url-lib, which needs curl).
  ignition dracut dracut-network curl
  # Docker (its AppArmor profile stays off: the kernel boots with apparmor=0, as Flatcar has none)
  docker.io
  openssh-server sudo iproute2 ca-certificates libnss-myhostname
  # what a control node's etcd-member script runs on the host besides curl (Flatcar ships both), and
  # e2fsprogs for its data disk (util-linux and mount, which it also runs, are in every Debian root)
  jq e2fsprogs
  # the initramfs's compressor (below)
  zstd
)

work="$(mktemp -d "$cache/.build-XXXXXX")"
# --one-file-system: should a killed build leave something mounted in the root, rm stays out of it.
trap 'rm -rf --one-file-system "$work"' EXIT
root="$work/root"
# In a mount namespace of its own, so that the /proc, /sys and /dev mmdebstrap mounts in the root go
# away with it, however it ends. dpkg without fsync (mmdebstrap's own eatmydata hook): the root is
# thrown away should the build stop. No documentation: Flatcar has none, and it is files to write.
# INITRD=No: the kernel's and dracut's own hooks (/etc/kernel/postinst.d/dracut) make no initramfs,
# which the customize step makes anyway, as the test needs it.
INITRD=No unshare --mount --propagation private mmdebstrap --mode=root --variant=minbase --include="${packages[*]}" \
  --hook-dir=/usr/share/mmdebstrap/hooks/eatmydata \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook="bash '$self' --customize \"\$1\"" \
  "$suite" "$root" "$mirror" >&2

# systemd applies presets (Ignition's `enabled: true` is one) only on a first boot, which it recognizes
# by an uninitialized machine id; mmdebstrap leaves the file empty, after its hooks.
echo uninitialized >"$root/etc/machine-id"
mkdir -p "$work/image"
kver="$(basename "$root"/lib/modules/*)"
cp "$root/boot/vmlinuz-$kver" "$work/image/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$work/image/initrd.img"
# One ext4 filesystem from the tree, no loop device needed (mke2fs -d), then qcow2 for the overlays.
mke2fs -q -t ext4 -L root -d "$root" "$work/root.raw" 4G
qemu-img convert -f raw -O qcow2 "$work/root.raw" "$work/image/root.qcow2"
rm -rf "$out"
mv "$work/image" "$out"
echo "$out"
