/* Helpers shared by the net_*.c guests (the tests of lunatic::networking): socket addresses as
 * resolve_next writes them, and the port a listener was given. */
#ifndef NET_UTIL_H
#define NET_UTIL_H

#include "proc_util.h"

typedef struct {
  uint32_t type;
  uint8_t addr[16];
  uint16_t port;
  uint32_t flow_info, scope_id;
} address_t;

/* The next address of a DNS iterator; 0 when there are no more. */
static inline int next_address(uint64_t iterator, address_t* out) {
  return lunatic_net_resolve_next(iterator, LUNATIC_PTR(&out->type), LUNATIC_PTR(out->addr),
                                  LUNATIC_PTR(&out->port), LUNATIC_PTR(&out->flow_info),
                                  LUNATIC_PTR(&out->scope_id)) == 0;
}

/* The first address of an iterator, which is then dropped; 0 if there was none. */
static inline int first_address(uint64_t iterator, address_t* out) {
  int found = next_address(iterator, out);
  lunatic_net_drop_dns_iterator(iterator);
  return found;
}

/* The port of a local address iterator (tcp_local_addr, tls_local_addr, ...), 0 on failure. */
static inline uint16_t port_of(uint32_t result, uint64_t iterator) {
  address_t a;
  return result == 0 && first_address(iterator, &a) ? a.port : 0;
}

#endif
