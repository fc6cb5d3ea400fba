#!/usr/bin/env bash
# Fetches Apache Cassandra for the test suite: resolves org.apache.cassandra:cassandra-all (version pinned
# in scripts/cassandra/pom.xml) and all its runtime dependencies from Maven Central with `mvn`, and copies
# the jars into .test-services/cassandra/<version>/lib (gitignored). scripts/services/cassandra.mjs starts a
# single node from there. No Docker, no tarball: Maven Central only. Needs Java 17 and Maven 3.8+.
# Idempotent: if the lib directory is complete (marker file), nothing is fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."
POM=scripts/cassandra/pom.xml
VERSION=$(sed -n 's:.*<cassandra.version>\(.*\)</cassandra.version>.*:\1:p' "$POM")
DEST=".test-services/cassandra/$VERSION"
if [ -f "$DEST/.complete" ]; then
  echo "cassandra $VERSION already fetched in $DEST"
  exit 0
fi
command -v mvn >/dev/null || { echo "fetch-cassandra: mvn not found (apt-get install maven)" >&2; exit 1; }
command -v java >/dev/null || { echo "fetch-cassandra: java not found (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
rm -rf "$DEST"
mkdir -p "$DEST/lib"
log=$(mktemp)
if ! mvn -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$PWD/$DEST/lib" -DoverWriteReleases=false >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "fetch-cassandra: mvn failed (see above)" >&2
  exit 1
fi
rm -f "$log"
ls "$DEST/lib"/cassandra-all-"$VERSION".jar >/dev/null
touch "$DEST/.complete"
echo "cassandra $VERSION: $(ls "$DEST/lib" | wc -l) jars in $DEST/lib"
