#!/usr/bin/env bash
# Installs the real tools the integration tests drive, from Debian's packages:
#   etcd-server, etcd-client  real etcd processes for the loopback cluster test
#   curl, jq                  what a control node's etcd-member script runs on the host (Flatcar ships
#                             both), run by the rejoin, membership and restore tests against real etcd
#   shellcheck                checks that script as rendered
#   ignition                  ignition-validate and the Ignition binary (dracut module)
#   openssl                   verifies the certificates coreform creates
#   systemd                   `systemd-analyze verify` on every unit and drop-in a node gets
#   iproute2                  `ip` in a network namespace (unshare, util-linux) for flannel's interface
#   vagrant                   `vagrant validate` on the rendered Vagrantfiles (no VirtualBox: provider
#                             settings are not checked by it, see test/integration/vagrant.test.ts)
#   libvirt-clients           virsh (its in-process test driver, no daemon) and virt-xml-validate on the
#   libxml2-utils             KVM stack's settings as libvirt XML (xmllint, which virt-xml-validate runs;
#                             also checks that topology.svg is well-formed XML)
#   chromium                  headless screenshots of topology.svg: the drawing renders in a real browser
#   openssh-client            ssh-keygen reads every public key line the spec's check reads the same way
#   strace                    kills a render at the Nth rename, write… (-e inject=…:signal=KILL:when=N)
#   git                       `git add -A` in a new project stages no secret (coreform init's .gitignore)
#   util-linux, bsdutils      unshare -m for full and read-only tmpfs disks; script for a terminal
#   mount, e2fsprogs, fdisk   losetup, mkfs.ext4, resize2fs and sfdisk: the etcd data disk step on loop devices
# Debian's etcd-server package enables a system etcd unit; where systemd runs it, it listens on
# 127.0.0.1:2379 only, which the tests never use (they take 127.0.X.10 and up).
set -euo pipefail
packages=(etcd-server etcd-client curl jq shellcheck ignition openssl systemd iproute2 vagrant libvirt-clients libxml2-utils chromium strace git util-linux bsdutils openssh-client mount e2fsprogs fdisk)
bash "$(dirname "$0")/apt-install.sh" "${packages[@]}"
