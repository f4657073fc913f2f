// credcached: the credcache daemon.
#include "common/version.h"
#include "daemon/credcached_main.h"

int main(int argc, char** argv) {
  return credcache::CredcachedMain(argc, argv, credcache::BuildVersion());
}
