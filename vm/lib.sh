# shellcheck shell=bash
# Shared by vm/build, vm/test, vm/shell and vm/ci: where the VM lives, how to get the host tools,
# and the QEMU command line that every boot uses. Sourced, never run.

# The directory holding these scripts, and the guest-side files they install.
VM_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The built guest lives outside the repo: it is large, machine-specific and rebuilt from scratch
# whenever vm/build changes, so it has no place in git or in cargo's target dir.
VM_CACHE="${FERRY_VM_CACHE:-${HOME:-/root}/.cache/ferry-vm}"
VM_IMAGE="$VM_CACHE/rootfs.ext4"      # the guest's root filesystem (raw ext4, booted read-only)
VM_KERNEL="$VM_CACHE/vmlinux"         # the guest's own kernel, uncompressed, for direct boot
VM_INITRD="$VM_CACHE/initramfs.gz"    # a tiny initramfs: loads virtio/ext4/9p modules, mounts root
VM_STAMP="$VM_CACHE/stamp"            # hash of the recipe the files above were built from

# Guest size: enough for a test run's temp dirs (in RAM, on /tmp) and two test threads.
VM_MEMORY="${FERRY_VM_MEMORY:-2048}"
VM_CPUS="${FERRY_VM_CPUS:-2}"

# Prints a line prefixed with the script's name, on stderr so it never mixes with test output.
say() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# set -e stops a script at the first failing command, silently; say which one it was.
set -E
trap 'say "error: line $LINENO: \"$BASH_COMMAND\" failed"' ERR

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the Debian packages named as arguments that are not installed yet.
#
# CI starts from a fresh machine, so every script installs what it needs itself instead of
# documenting a list of prerequisites that drifts.
ensure_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    command -v apt-get >/dev/null || die "install these packages first: ${missing[*]} (no apt-get here)"
    say "installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The hash of everything the guest is built from: vm/build (its package list and steps) and the
# guest-side scripts. vm/build rebuilds when it changes; vm/test refuses a stale guest.
recipe_hash() {
    cat "$VM_DIR/build" "$VM_DIR"/guest/* | sha256sum | cut -d' ' -f1
}

# Fails unless vm/build has produced a guest from the current recipe.
require_guest() {
    [ -f "$VM_IMAGE" ] && [ -f "$VM_KERNEL" ] && [ -f "$VM_INITRD" ] && [ -f "$VM_STAMP" ] \
        || die "no guest in $VM_CACHE: run vm/build first"
    [ "$(cat "$VM_STAMP")" = "$(recipe_hash)" ] \
        || die "the guest in $VM_CACHE was built from an older vm/build: run vm/build again"
}

# Whether KVM really runs a guest here, tested by booting the guest kernel for a moment.
#
# /dev/kvm can exist and open fine while guests hang (nested virtualisation without the CPU
# features QEMU wants), so the only trustworthy test is to start one and watch for the kernel's
# first line on the serial console. A working KVM prints it in well under a second.
kvm_works() {
    [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
    timeout 5 qemu-system-x86_64 -accel kvm -cpu host -m 256 -nodefaults -no-user-config \
        -display none -no-reboot -serial stdio -kernel "$VM_KERNEL" \
        -append "console=ttyS0 panic=-1" </dev/null 2>/dev/null | grep -q -m1 'Linux version'
}

# Sets VM_ACCEL to the QEMU accelerator options: KVM when it works, else TCG (emulation, about
# ten times slower, but it runs everywhere), and VM_ACCEL_NAME to kvm or tcg.
# FERRY_VM_ACCEL=kvm|tcg skips the probe.
choose_accel() {
    local accel="${FERRY_VM_ACCEL:-}"
    if [ -z "$accel" ]; then
        if kvm_works; then accel=kvm; else accel=tcg; fi
    fi
    VM_ACCEL_NAME=$accel
    case "$accel" in
        kvm) VM_ACCEL=(-accel kvm -cpu host); say "accelerator: KVM" ;;
        # -cpu max gives the emulated CPU every feature TCG can do, so host-built code that
        # uses newer instructions still runs.
        tcg) VM_ACCEL=(-accel tcg -cpu max); say "accelerator: TCG (software emulation; no working KVM here)" ;;
        *) die "FERRY_VM_ACCEL must be kvm or tcg, not '$accel'" ;;
    esac
}

# The kernel command line every boot shares.
#   root=/dev/vda          the virtio disk, mounted by our initramfs
#   init=/sbin/ferry-init  our small init instead of systemd: nothing to start, boots in seconds
#   cgroup_no_v1=all       keep every controller on the unified (v2) hierarchy, so the engine's
#                          cgroup v2 code runs for real (there is no systemd to ask for it)
#   panic=-1               a kernel panic reboots at once, and -no-reboot turns that into QEMU
#                          exiting, so a broken guest never hangs a CI run
#   cryptomgr.notests      skip the crypto self-tests, seconds of boot under emulation
#   quiet                  only errors from the kernel; the console carries the test output
VM_CMDLINE="console=ttyS0 root=/dev/vda rw init=/sbin/ferry-init cgroup_no_v1=all panic=-1"
VM_CMDLINE+=" cryptomgr.notests quiet"

# Sets VM_QEMU to the QEMU command line shared by every boot, minus the console and the shares.
# Arguments are appended to the kernel command line.
qemu_base_args() {
    VM_QEMU=(qemu-system-x86_64 "${VM_ACCEL[@]}" -m "$VM_MEMORY" -smp "$VM_CPUS"
        # Only the devices we ask for: no VGA, no NIC (the guest needs no network; tests make
        # their own in network namespaces), no floppy or CD.
        -nodefaults -no-user-config -display none -no-reboot
        # Direct kernel boot: no bootloader, no BIOS disk probing (see extract_vmlinux in vm/build).
        -kernel "$VM_KERNEL" -initrd "$VM_INITRD" -append "$VM_CMDLINE${*:+ $*}"
        # snapshot=on: the guest's writes to its disk go to a temporary file that QEMU deletes
        # on exit, so every boot starts from the same clean guest (a throw-away VM).
        -drive "file=$VM_IMAGE,format=raw,if=virtio,snapshot=on"
        # Entropy from the host, so getrandom() (Rust's HashMap seeds) never waits at boot.
        -device virtio-rng-pci)
}

# Appends to VM_QEMU a 9p share of host directory $1 under mount tag $2.
#
# As root, passthrough keeps the owners and modes the guest sets. As a normal user QEMU cannot
# chown, so security_model=none writes files as that user and ignores ownership changes.
add_share() {
    local model=none
    [ "$(id -u)" -eq 0 ] && model=passthrough
    VM_QEMU+=(-virtfs "local,path=$1,mount_tag=$2,security_model=$model,id=$2")
}
