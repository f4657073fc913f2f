// credcached as another build of it: the real daemon reporting a version no
// shim has, for tests of how shims meet a daemon of another version (the
// on-demand one is replaced; any other is reported with the fix).
#include "daemon/credcached_main.h"

int main(int argc, char** argv) {
  return credcache::CredcachedMain(argc, argv, "0.0.1-other (wire 000000000000)");
}
