# Sourced by scripts/install.sh and scripts/install-deps.sh: makes sure the install and everything npm
# runs afterwards use Node.js >= 22 (package.json `engines`; Node 24 LTS is the one we test).
#
# Where the system's `node` is older (Debian 13 ships Node 20), Node 24 comes from the npm registry's
# `node-linux-<arch>` package (the official Node binary and its C headers), unpacked into the
# git-ignored `.runtime/node`. Then, for the rest of the calling script: `.runtime/node/bin` leads PATH
# (so `npm` itself runs on Node 24) and `npm_config_nodedir` points native module builds
# (better-sqlite3) at its headers. After `npm ci`, call `link_node_runtime`: it links
# `node_modules/.bin/node` to that binary, and since npm puts `node_modules/.bin` first on the PATH of
# every script it runs, `npm start`, `npm test`, `npx tsx bench/...` and `npx sylk-server` run on
# Node 24 too, from any shell.
#
# Expects to be sourced from the repository root.

NODE_RUNTIME_VERSION=24.22.3
NODE_RUNTIME_DIR="$PWD/.runtime/node"

node_runtime_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: install Node.js (any version >= 20) and npm first, e.g. apt-get install nodejs npm" >&2
  exit 1
fi

NODE_RUNTIME_USED=0
if [ "$(node_runtime_major)" -lt 22 ]; then
  case "$(uname -m)" in
    x86_64) node_arch=x64 ;;
    aarch64) node_arch=arm64 ;;
    *) echo "no Node.js >= 22 here and no node-linux-$(uname -m) package: install Node.js 24 yourself" >&2; exit 1 ;;
  esac
  if [ "$("$NODE_RUNTIME_DIR/bin/node" --version 2>/dev/null)" != "v$NODE_RUNTIME_VERSION" ]; then
    echo "system Node.js is $(node --version); fetching Node.js $NODE_RUNTIME_VERSION (npm package node-linux-$node_arch) into .runtime/node"
    rm -rf "$NODE_RUNTIME_DIR" .runtime/package
    mkdir -p .runtime
    # npm pack checks the tarball against the registry's integrity hash.
    tgz=$(cd .runtime && npm pack --silent "node-linux-$node_arch@$NODE_RUNTIME_VERSION")
    tar xzf ".runtime/$tgz" -C .runtime
    rm -f ".runtime/$tgz"
    mv .runtime/package "$NODE_RUNTIME_DIR"
  fi
  export PATH="$NODE_RUNTIME_DIR/bin:$PATH"
  export npm_config_nodedir="$NODE_RUNTIME_DIR"
  NODE_RUNTIME_USED=1
else
  # Native modules build against the headers of the node that runs them (<prefix>/include/node).
  export npm_config_nodedir="${npm_config_nodedir:-$(node -p 'require("path").resolve(process.execPath, "../..")')}"
fi

# After `npm ci`: route npm scripts to the fetched runtime (see above). No-op with a recent system node.
link_node_runtime() {
  if [ "$NODE_RUNTIME_USED" = 1 ]; then
    mkdir -p node_modules/.bin
    ln -sfn ../../.runtime/node/bin/node node_modules/.bin/node
  fi
}
