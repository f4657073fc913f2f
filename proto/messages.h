// The credcache.v1 messages, from whichever protobuf runtime the program
// links: the lite one in the shim (//proto:credcache_messages_lite defines
// CREDCACHE_PROTO_LITE), the full one elsewhere. Include this, not the
// generated headers, from code built both ways.
#ifndef CREDCACHE_PROTO_MESSAGES_H_
#define CREDCACHE_PROTO_MESSAGES_H_

#ifdef CREDCACHE_PROTO_LITE
#include "proto/credcache_lite.pb.h"  // IWYU pragma: export
#else
#include "proto/credcache.pb.h"  // IWYU pragma: export
#endif

#endif  // CREDCACHE_PROTO_MESSAGES_H_
