#!/bin/sh
# Regenerates the Fashion-MNIST subset shipped in the jar (first 2,000 training and first
# 1,000 test images with their labels, gzipped IDX files with the official names).
#
#   tools/make_subset.sh [SOURCE_DIR]     (default /usr/share/datasets/fashion-mnist,
#                                         from Debian's dataset-fashion-mnist package)
#
# Run from anywhere; writes src/main/resources/dev/resnet4j/data/fashion-mnist-subset/.
set -eu
cd "$(dirname "$0")/.."
SOURCE="${1:-/usr/share/datasets/fashion-mnist}"
TARGET=src/main/resources/dev/resnet4j/data/fashion-mnist-subset
mvn -o -q -B compile
java -cp target/classes dev.resnet4j.data.MakeSubset "$SOURCE" "$TARGET" 2000 1000
