/* The raw host ABI of Lunatic 0.13 (and this runtime's additions), for guests built with clang
 * for wasm32-wasi. C and C++. Every function is an import; see docs/abi.md for the semantics,
 * return codes and traps of each. Higher-level C++ wrappers build on these declarations. */
#ifndef LUNATIC_ABI_H
#define LUNATIC_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LUNATIC_IMPORT(module, name) __attribute__((import_module(module), import_name(name)))

/* Receive results (lunatic::message::receive) and the "no timeout" value. */
#define LUNATIC_MESSAGE_DATA 0u
#define LUNATIC_MESSAGE_LINK_DIED 1u
#define LUNATIC_MESSAGE_PROCESS_DIED 2u
#define LUNATIC_TIMEOUT 9027u
#define LUNATIC_NO_TIMEOUT UINT64_MAX

/* Type ids of spawn parameter records: 17 bytes each, [type, 16-byte little-endian value]. */
#define LUNATIC_PARAM_I32 0x7F
#define LUNATIC_PARAM_I64 0x7E
#define LUNATIC_PARAM_V128 0x7B

/* ---- lunatic::process ---- */
#define LUNATIC_PROCESS(name) LUNATIC_IMPORT("lunatic::process", #name)
LUNATIC_PROCESS(compile_module)
int32_t lunatic_compile_module(uint32_t data, uint32_t len, uint32_t id_ptr);
LUNATIC_PROCESS(drop_module) void lunatic_drop_module(uint64_t module_id);
LUNATIC_PROCESS(create_config) int64_t lunatic_create_config(void);
LUNATIC_PROCESS(drop_config) void lunatic_drop_config(uint64_t config_id);
LUNATIC_PROCESS(config_set_max_memory)
void lunatic_config_set_max_memory(uint64_t config_id, uint64_t bytes);
LUNATIC_PROCESS(config_get_max_memory) uint64_t lunatic_config_get_max_memory(uint64_t config_id);
LUNATIC_PROCESS(config_set_max_fuel)
void lunatic_config_set_max_fuel(uint64_t config_id, uint64_t fuel);
LUNATIC_PROCESS(config_get_max_fuel) uint64_t lunatic_config_get_max_fuel(uint64_t config_id);
LUNATIC_PROCESS(config_can_compile_modules)
uint32_t lunatic_config_can_compile_modules(uint64_t config_id);
LUNATIC_PROCESS(config_set_can_compile_modules)
void lunatic_config_set_can_compile_modules(uint64_t config_id, uint32_t can);
LUNATIC_PROCESS(config_can_create_configs)
uint32_t lunatic_config_can_create_configs(uint64_t config_id);
LUNATIC_PROCESS(config_set_can_create_configs)
void lunatic_config_set_can_create_configs(uint64_t config_id, uint32_t can);
/* Beyond Lunatic (docs/abi.md): network permissions of a config. access 0 connect, 1 bind. */
LUNATIC_PROCESS(config_can_use_network) uint32_t lunatic_config_can_use_network(uint64_t config_id);
LUNATIC_PROCESS(config_set_can_use_network)
void lunatic_config_set_can_use_network(uint64_t config_id, uint32_t can);
LUNATIC_PROCESS(config_allow_network)
void lunatic_config_allow_network(uint64_t config_id, uint32_t access, uint32_t type, uint32_t addr,
                                  uint32_t prefix_len, uint32_t port_min, uint32_t port_max);
LUNATIC_PROCESS(config_can_spawn_processes)
uint32_t lunatic_config_can_spawn_processes(uint64_t config_id);
LUNATIC_PROCESS(config_set_can_spawn_processes)
void lunatic_config_set_can_spawn_processes(uint64_t config_id, uint32_t can);
/* Beyond Lunatic (docs/abi.md): limits on the subtree a child spawned with the config heads
 * (live processes, guest memory in bytes, modules compiled) and on its mailbox; 0: none. */
LUNATIC_PROCESS(config_set_max_processes)
void lunatic_config_set_max_processes(uint64_t config_id, uint64_t count);
LUNATIC_PROCESS(config_get_max_processes)
uint64_t lunatic_config_get_max_processes(uint64_t config_id);
LUNATIC_PROCESS(config_set_max_total_memory)
void lunatic_config_set_max_total_memory(uint64_t config_id, uint64_t bytes);
LUNATIC_PROCESS(config_get_max_total_memory)
uint64_t lunatic_config_get_max_total_memory(uint64_t config_id);
LUNATIC_PROCESS(config_set_max_compiles)
void lunatic_config_set_max_compiles(uint64_t config_id, uint64_t count);
LUNATIC_PROCESS(config_get_max_compiles)
uint64_t lunatic_config_get_max_compiles(uint64_t config_id);
LUNATIC_PROCESS(config_set_max_mailbox_messages)
void lunatic_config_set_max_mailbox_messages(uint64_t config_id, uint64_t count);
LUNATIC_PROCESS(config_get_max_mailbox_messages)
uint64_t lunatic_config_get_max_mailbox_messages(uint64_t config_id);
LUNATIC_PROCESS(config_set_max_mailbox_bytes)
void lunatic_config_set_max_mailbox_bytes(uint64_t config_id, uint64_t bytes);
LUNATIC_PROCESS(config_get_max_mailbox_bytes)
uint64_t lunatic_config_get_max_mailbox_bytes(uint64_t config_id);
LUNATIC_PROCESS(spawn)
uint32_t lunatic_spawn(int64_t link, int64_t config_id, int64_t module_id, uint32_t func,
                       uint32_t func_len, uint32_t params, uint32_t params_len, uint32_t id_ptr);
LUNATIC_PROCESS(get_or_spawn)
uint32_t lunatic_get_or_spawn(uint32_t name, uint32_t name_len, int64_t link, int64_t config_id,
                              int64_t module_id, uint32_t func, uint32_t func_len, uint32_t params,
                              uint32_t params_len, uint32_t node_id_ptr, uint32_t id_ptr);
LUNATIC_PROCESS(sleep_ms) void lunatic_sleep_ms(uint64_t millis);
LUNATIC_PROCESS(die_when_link_dies) void lunatic_die_when_link_dies(uint32_t trap);
LUNATIC_PROCESS(process_id) uint64_t lunatic_process_id(void);
LUNATIC_PROCESS(environment_id) uint64_t lunatic_environment_id(void);
LUNATIC_PROCESS(link) void lunatic_link(int64_t tag, uint64_t process_id);
LUNATIC_PROCESS(unlink) void lunatic_unlink(uint64_t process_id);
LUNATIC_PROCESS(monitor) void lunatic_monitor(uint64_t process_id);
LUNATIC_PROCESS(stop_monitoring) void lunatic_stop_monitoring(uint64_t process_id);
LUNATIC_PROCESS(kill) void lunatic_kill(uint64_t process_id);
LUNATIC_PROCESS(exists) int32_t lunatic_exists(uint64_t process_id);

/* ---- lunatic::message ---- */
#define LUNATIC_MESSAGE(name) LUNATIC_IMPORT("lunatic::message", #name)
LUNATIC_MESSAGE(create_data) void lunatic_message_create_data(int64_t tag, uint64_t capacity);
LUNATIC_MESSAGE(write_data) uint32_t lunatic_message_write_data(uint32_t data, uint32_t len);
LUNATIC_MESSAGE(read_data) uint32_t lunatic_message_read_data(uint32_t data, uint32_t len);
LUNATIC_MESSAGE(seek_data) void lunatic_message_seek_data(uint64_t index);
LUNATIC_MESSAGE(get_tag) int64_t lunatic_message_get_tag(void);
LUNATIC_MESSAGE(get_process_id) uint64_t lunatic_message_get_process_id(void);
/* Beyond Lunatic: 1 failed, 2 no such process, 3 lost with its node; 0 not a link-died message. */
LUNATIC_MESSAGE(link_died_reason) uint32_t lunatic_message_link_died_reason(void);
LUNATIC_MESSAGE(data_size) uint64_t lunatic_message_data_size(void);
LUNATIC_MESSAGE(push_module) uint64_t lunatic_message_push_module(uint64_t module_id);
LUNATIC_MESSAGE(take_module) uint64_t lunatic_message_take_module(uint64_t index);
LUNATIC_MESSAGE(push_tcp_stream) uint64_t lunatic_message_push_tcp_stream(uint64_t stream_id);
LUNATIC_MESSAGE(take_tcp_stream) uint64_t lunatic_message_take_tcp_stream(uint64_t index);
LUNATIC_MESSAGE(push_udp_socket) uint64_t lunatic_message_push_udp_socket(uint64_t socket_id);
LUNATIC_MESSAGE(take_udp_socket) uint64_t lunatic_message_take_udp_socket(uint64_t index);
LUNATIC_MESSAGE(push_tls_stream) uint64_t lunatic_message_push_tls_stream(uint64_t stream_id);
LUNATIC_MESSAGE(take_tls_stream) uint64_t lunatic_message_take_tls_stream(uint64_t index);
LUNATIC_MESSAGE(send) uint32_t lunatic_message_send(uint64_t process_id);
LUNATIC_MESSAGE(send_receive_skip_search)
uint32_t lunatic_message_send_receive_skip_search(uint64_t process_id, int64_t wait_on_tag,
                                                  uint64_t timeout_ms);
LUNATIC_MESSAGE(receive)
uint32_t lunatic_message_receive(uint32_t tags, uint32_t tags_len, uint64_t timeout_ms);

/* ---- lunatic::timer ---- send_after sends the message being built; cancel_timer returns 1
 * when the timer was pending. */
LUNATIC_IMPORT("lunatic::timer", "send_after")
uint64_t lunatic_send_after(uint64_t process_id, uint64_t delay_ms);
LUNATIC_IMPORT("lunatic::timer", "cancel_timer") uint32_t lunatic_cancel_timer(uint64_t timer_id);

/* ---- lunatic::registry ---- get returns 0 when found, 1 when not. */
#define LUNATIC_REGISTRY(name) LUNATIC_IMPORT("lunatic::registry", #name)
LUNATIC_REGISTRY(put)
void lunatic_registry_put(uint32_t name, uint32_t name_len, uint64_t node_id, uint64_t process_id);
LUNATIC_REGISTRY(get)
uint32_t lunatic_registry_get(uint32_t name, uint32_t name_len, uint32_t node_id_ptr,
                              uint32_t process_id_ptr);
LUNATIC_REGISTRY(remove) void lunatic_registry_remove(uint32_t name, uint32_t name_len);

/* ---- lunatic::metrics ---- names are UTF-8; a counter adds, a gauge is set. */
#define LUNATIC_METRICS(name) LUNATIC_IMPORT("lunatic::metrics", #name)
LUNATIC_METRICS(counter)
void lunatic_metrics_counter(uint32_t name, uint32_t name_len, uint64_t value);
LUNATIC_METRICS(increment_counter)
void lunatic_metrics_increment_counter(uint32_t name, uint32_t name_len);
LUNATIC_METRICS(gauge) void lunatic_metrics_gauge(uint32_t name, uint32_t name_len, double value);
LUNATIC_METRICS(increment_gauge)
void lunatic_metrics_increment_gauge(uint32_t name, uint32_t name_len, double value);
LUNATIC_METRICS(decrement_gauge)
void lunatic_metrics_decrement_gauge(uint32_t name, uint32_t name_len, double value);
LUNATIC_METRICS(histogram)
void lunatic_metrics_histogram(uint32_t name, uint32_t name_len, double value);

/* ---- lunatic::error ---- */
LUNATIC_IMPORT("lunatic::error", "string_size")
uint32_t lunatic_error_string_size(uint64_t error_id);
LUNATIC_IMPORT("lunatic::error", "to_string")
void lunatic_error_to_string(uint64_t error_id, uint32_t ptr);
LUNATIC_IMPORT("lunatic::error", "drop") void lunatic_error_drop(uint64_t error_id);

/* ---- lunatic::version ---- */
LUNATIC_IMPORT("lunatic::version", "major") uint32_t lunatic_version_major(void);
LUNATIC_IMPORT("lunatic::version", "minor") uint32_t lunatic_version_minor(void);
LUNATIC_IMPORT("lunatic::version", "patch") uint32_t lunatic_version_patch(void);

/* ---- lunatic::trap ---- calls the guest's export `_lunatic_catch_trap(function, pointer)`;
 * returns its result, or 0 if it trapped. */
LUNATIC_IMPORT("lunatic::trap", "catch")
int32_t lunatic_trap_catch(int32_t function, int32_t pointer);

/* ---- lunatic::wasi ---- */
LUNATIC_IMPORT("lunatic::wasi", "config_add_environment_variable")
void lunatic_config_add_environment_variable(uint64_t config_id, uint32_t key, uint32_t key_len,
                                             uint32_t value, uint32_t value_len);
LUNATIC_IMPORT("lunatic::wasi", "config_add_command_line_argument")
void lunatic_config_add_command_line_argument(uint64_t config_id, uint32_t arg, uint32_t arg_len);
LUNATIC_IMPORT("lunatic::wasi", "config_preopen_dir")
void lunatic_config_preopen_dir(uint64_t config_id, uint32_t dir, uint32_t dir_len);

/* ---- lunatic::distributed (node 0 alone under `lunatic run`; a cluster under `lunatic node`) */
#define LUNATIC_DISTRIBUTED(name) LUNATIC_IMPORT("lunatic::distributed", #name)
LUNATIC_DISTRIBUTED(nodes_count) uint32_t lunatic_distributed_nodes_count(void);
LUNATIC_DISTRIBUTED(get_nodes)
uint32_t lunatic_distributed_get_nodes(uint32_t nodes, uint32_t nodes_len);
LUNATIC_DISTRIBUTED(node_id) uint64_t lunatic_distributed_node_id(void);
LUNATIC_DISTRIBUTED(module_id) uint64_t lunatic_distributed_module_id(void);
LUNATIC_DISTRIBUTED(exec_lookup_nodes)
uint32_t lunatic_distributed_exec_lookup_nodes(uint32_t query, uint32_t query_len,
                                               uint32_t query_id_ptr, uint32_t nodes_len_ptr,
                                               uint32_t error_ptr);
LUNATIC_DISTRIBUTED(copy_lookup_nodes_results)
int32_t lunatic_distributed_copy_lookup_nodes_results(uint64_t query_id, uint32_t nodes,
                                                      uint32_t nodes_len, uint32_t error_ptr);
LUNATIC_DISTRIBUTED(spawn)
uint32_t lunatic_distributed_spawn(uint64_t node_id, int64_t config_id, uint64_t module_id,
                                   uint32_t func, uint32_t func_len, uint32_t params,
                                   uint32_t params_len, uint32_t id_ptr);
LUNATIC_DISTRIBUTED(send) uint32_t lunatic_distributed_send(uint64_t node_id, uint64_t process_id);
LUNATIC_DISTRIBUTED(send_receive_skip_search)
uint32_t lunatic_distributed_send_receive_skip_search(uint64_t node_id, uint64_t process_id,
                                                      int64_t wait_on_tag, uint64_t timeout_ms);

/* ---- lunatic::global_registry (beyond Lunatic): names every node of a cluster sees ----
 * put: 0 registered, 1 taken (holder written), 2 not a process of this node, 9027 store error.
 * get: 0 found, 1 not registered, 9027. remove: 0 removed, 1 not held by the process, 9027. */
#define LUNATIC_GLOBAL_REGISTRY(name) LUNATIC_IMPORT("lunatic::global_registry", #name)
LUNATIC_GLOBAL_REGISTRY(put)
uint32_t lunatic_global_registry_put(uint32_t name, uint32_t name_len, uint64_t process_id,
                                     uint32_t holder_ptr);
LUNATIC_GLOBAL_REGISTRY(get)
uint32_t lunatic_global_registry_get(uint32_t name, uint32_t name_len, uint32_t process_id_ptr);
LUNATIC_GLOBAL_REGISTRY(remove)
uint32_t lunatic_global_registry_remove(uint32_t name, uint32_t name_len, uint64_t process_id);

/* ---- lunatic::networking ----
 * Addresses are (type 4 or 6, pointer to 4 or 16 bytes, port, IPv6 flow info, IPv6 scope id).
 * Results: 0 ok, 1 error (an error id where the value would go), LUNATIC_TIMEOUT. */
#define LUNATIC_NET(name) LUNATIC_IMPORT("lunatic::networking", #name)
LUNATIC_NET(resolve)
uint32_t lunatic_net_resolve(uint32_t name, uint32_t name_len, uint64_t timeout_ms,
                             uint32_t id_ptr);
LUNATIC_NET(drop_dns_iterator) void lunatic_net_drop_dns_iterator(uint64_t id);
LUNATIC_NET(resolve_next)
uint32_t lunatic_net_resolve_next(uint64_t id, uint32_t type_ptr, uint32_t addr_ptr,
                                  uint32_t port_ptr, uint32_t flow_info_ptr, uint32_t scope_id_ptr);
LUNATIC_NET(tcp_bind)
uint32_t lunatic_net_tcp_bind(uint32_t type, uint32_t addr, uint32_t port, uint32_t flow_info,
                              uint32_t scope_id, uint32_t id_ptr);
LUNATIC_NET(drop_tcp_listener) void lunatic_net_drop_tcp_listener(uint64_t id);
LUNATIC_NET(tcp_local_addr)
uint32_t lunatic_net_tcp_local_addr(uint64_t listener_id, uint32_t id_ptr);
LUNATIC_NET(tcp_accept)
uint32_t lunatic_net_tcp_accept(uint64_t listener_id, uint32_t id_ptr, uint32_t peer_ptr);
LUNATIC_NET(tcp_connect)
uint32_t lunatic_net_tcp_connect(uint32_t type, uint32_t addr, uint32_t port, uint32_t flow_info,
                                 uint32_t scope_id, uint64_t timeout_ms, uint32_t id_ptr);
LUNATIC_NET(drop_tcp_stream) void lunatic_net_drop_tcp_stream(uint64_t id);
LUNATIC_NET(clone_tcp_stream) uint64_t lunatic_net_clone_tcp_stream(uint64_t id);
LUNATIC_NET(tcp_peer_addr) uint32_t lunatic_net_tcp_peer_addr(uint64_t stream_id, uint32_t id_ptr);
LUNATIC_NET(tcp_write_vectored)
uint32_t lunatic_net_tcp_write_vectored(uint64_t stream_id, uint32_t ciovecs, uint32_t ciovecs_len,
                                        uint32_t opaque_ptr);
LUNATIC_NET(tcp_read)
uint32_t lunatic_net_tcp_read(uint64_t stream_id, uint32_t buffer, uint32_t buffer_len,
                              uint32_t opaque_ptr);
LUNATIC_NET(tcp_peek)
uint32_t lunatic_net_tcp_peek(uint64_t stream_id, uint32_t buffer, uint32_t buffer_len,
                              uint32_t opaque_ptr);
LUNATIC_NET(tcp_flush) uint32_t lunatic_net_tcp_flush(uint64_t stream_id, uint32_t error_id_ptr);
LUNATIC_NET(set_read_timeout) void lunatic_net_set_read_timeout(uint64_t stream_id, uint64_t ms);
LUNATIC_NET(set_write_timeout) void lunatic_net_set_write_timeout(uint64_t stream_id, uint64_t ms);
LUNATIC_NET(set_peek_timeout) void lunatic_net_set_peek_timeout(uint64_t stream_id, uint64_t ms);
LUNATIC_NET(get_read_timeout) uint64_t lunatic_net_get_read_timeout(uint64_t stream_id);
LUNATIC_NET(get_write_timeout) uint64_t lunatic_net_get_write_timeout(uint64_t stream_id);
LUNATIC_NET(get_peek_timeout) uint64_t lunatic_net_get_peek_timeout(uint64_t stream_id);
LUNATIC_NET(udp_bind)
uint32_t lunatic_net_udp_bind(uint32_t type, uint32_t addr, uint32_t port, uint32_t flow_info,
                              uint32_t scope_id, uint32_t id_ptr);
LUNATIC_NET(drop_udp_socket) void lunatic_net_drop_udp_socket(uint64_t id);
LUNATIC_NET(clone_udp_socket) uint64_t lunatic_net_clone_udp_socket(uint64_t id);
LUNATIC_NET(udp_local_addr)
uint32_t lunatic_net_udp_local_addr(uint64_t socket_id, uint32_t id_ptr);
LUNATIC_NET(udp_peer_addr) uint32_t lunatic_net_udp_peer_addr(uint64_t socket_id, uint32_t id_ptr);
LUNATIC_NET(udp_connect)
uint32_t lunatic_net_udp_connect(uint64_t socket_id, uint32_t type, uint32_t addr, uint32_t port,
                                 uint32_t flow_info, uint32_t scope_id, uint64_t timeout_ms,
                                 uint32_t id_ptr);
LUNATIC_NET(udp_receive)
uint32_t lunatic_net_udp_receive(uint64_t socket_id, uint32_t buffer, uint32_t buffer_len,
                                 uint32_t opaque_ptr);
LUNATIC_NET(udp_receive_from)
uint32_t lunatic_net_udp_receive_from(uint64_t socket_id, uint32_t buffer, uint32_t buffer_len,
                                      uint32_t opaque_ptr, uint32_t dns_iter_ptr);
LUNATIC_NET(udp_send_to)
uint32_t lunatic_net_udp_send_to(uint64_t socket_id, uint32_t buffer, uint32_t buffer_len,
                                 uint32_t type, uint32_t addr, uint32_t port, uint32_t flow_info,
                                 uint32_t scope_id, uint32_t opaque_ptr);
LUNATIC_NET(udp_send)
uint32_t lunatic_net_udp_send(uint64_t socket_id, uint32_t buffer, uint32_t buffer_len,
                              uint32_t opaque_ptr);
LUNATIC_NET(set_udp_socket_broadcast)
void lunatic_net_set_udp_socket_broadcast(uint64_t socket_id, uint32_t on);
LUNATIC_NET(get_udp_socket_broadcast)
uint32_t lunatic_net_get_udp_socket_broadcast(uint64_t socket_id);
LUNATIC_NET(set_udp_socket_ttl)
void lunatic_net_set_udp_socket_ttl(uint64_t socket_id, uint32_t ttl);
LUNATIC_NET(get_udp_socket_ttl) uint32_t lunatic_net_get_udp_socket_ttl(uint64_t socket_id);
LUNATIC_NET(tls_bind)
uint32_t lunatic_net_tls_bind(uint32_t type, uint32_t addr, uint32_t port, uint32_t flow_info,
                              uint32_t scope_id, uint32_t id_ptr, uint32_t cert, uint32_t cert_len,
                              uint32_t key, uint32_t key_len);
LUNATIC_NET(drop_tls_listener) void lunatic_net_drop_tls_listener(uint64_t id);
LUNATIC_NET(tls_local_addr)
uint32_t lunatic_net_tls_local_addr(uint64_t listener_id, uint32_t id_ptr);
LUNATIC_NET(tls_accept)
uint32_t lunatic_net_tls_accept(uint64_t listener_id, uint32_t id_ptr, uint32_t peer_ptr);
LUNATIC_NET(tls_connect)
uint32_t lunatic_net_tls_connect(uint32_t host, uint32_t host_len, uint32_t port,
                                 uint64_t timeout_ms, uint32_t id_ptr, uint32_t ca_certs,
                                 uint32_t ca_certs_len);
LUNATIC_NET(drop_tls_stream) void lunatic_net_drop_tls_stream(uint64_t id);
LUNATIC_NET(clone_tls_stream) uint64_t lunatic_net_clone_tls_stream(uint64_t id);
LUNATIC_NET(tls_write_vectored)
uint32_t lunatic_net_tls_write_vectored(uint64_t stream_id, uint32_t ciovecs, uint32_t ciovecs_len,
                                        uint32_t opaque_ptr);
LUNATIC_NET(tls_read)
uint32_t lunatic_net_tls_read(uint64_t stream_id, uint32_t buffer, uint32_t buffer_len,
                              uint32_t opaque_ptr);
LUNATIC_NET(tls_flush) uint32_t lunatic_net_tls_flush(uint64_t stream_id, uint32_t error_id_ptr);
LUNATIC_NET(set_tls_read_timeout)
void lunatic_net_set_tls_read_timeout(uint64_t stream_id, uint64_t ms);
LUNATIC_NET(set_tls_write_timeout)
void lunatic_net_set_tls_write_timeout(uint64_t stream_id, uint64_t ms);
LUNATIC_NET(get_tls_read_timeout) uint64_t lunatic_net_get_tls_read_timeout(uint64_t stream_id);
LUNATIC_NET(get_tls_write_timeout) uint64_t lunatic_net_get_tls_write_timeout(uint64_t stream_id);

/* ---- lunatic::sqlite ----
 * Ids count from 0 per process. open: 0 with a connection id at id_ptr (u64), 1 with an error
 * id there. The functions taking len_ptr return a buffer they got from the guest's export
 * `lunatic_alloc(len) -> ptr` (the caller frees it) holding the result in Lunatic's wire format
 * (bincode; column_name: plain UTF-8) and store its length (u32) at len_ptr. step: 100 row,
 * 101 done, else SQLite's error code. docs/abi.md has the rest. */
#define LUNATIC_SQLITE(name) LUNATIC_IMPORT("lunatic::sqlite", #name)
#define LUNATIC_SQLITE_ROW 100u
#define LUNATIC_SQLITE_DONE 101u
LUNATIC_SQLITE(open)
uint64_t lunatic_sqlite_open(uint32_t path, uint32_t path_len, uint32_t id_ptr);
LUNATIC_SQLITE(query_prepare)
uint64_t lunatic_sqlite_query_prepare(uint64_t connection_id, uint32_t sql, uint32_t sql_len);
LUNATIC_SQLITE(execute)
uint32_t lunatic_sqlite_execute(uint64_t connection_id, uint32_t sql, uint32_t sql_len);
LUNATIC_SQLITE(bind_value)
void lunatic_sqlite_bind_value(uint64_t statement_id, uint32_t data, uint32_t data_len);
LUNATIC_SQLITE(sqlite3_changes) uint32_t lunatic_sqlite_changes(uint64_t connection_id);
LUNATIC_SQLITE(statement_reset) void lunatic_sqlite_statement_reset(uint64_t statement_id);
LUNATIC_SQLITE(last_error)
uint32_t lunatic_sqlite_last_error(uint64_t connection_id, uint32_t len_ptr);
LUNATIC_SQLITE(sqlite3_finalize) void lunatic_sqlite_finalize(uint64_t statement_id);
LUNATIC_SQLITE(sqlite3_step) uint32_t lunatic_sqlite_step(uint64_t statement_id);
LUNATIC_SQLITE(read_column)
uint32_t lunatic_sqlite_read_column(uint64_t statement_id, uint32_t column, uint32_t len_ptr);
LUNATIC_SQLITE(column_names)
uint32_t lunatic_sqlite_column_names(uint64_t statement_id, uint32_t len_ptr);
LUNATIC_SQLITE(read_row) uint32_t lunatic_sqlite_read_row(uint64_t statement_id, uint32_t len_ptr);
LUNATIC_SQLITE(column_count) uint32_t lunatic_sqlite_column_count(uint64_t statement_id);
LUNATIC_SQLITE(column_name)
uint32_t lunatic_sqlite_column_name(uint64_t statement_id, uint32_t column, uint32_t len_ptr);

/* ---- lunatic::upgrade (beyond Lunatic): hot code upgrade ----
 * A module whose processes can move to new code exports lunatic_upgrade_save() -> i32 (hands
 * its state over with save_state), and a new version exports lunatic_upgrade_load() -> i32
 * (reads it back) and lunatic_upgrade_resume() (goes on as the process). See docs/abi.md. */
#define LUNATIC_UPGRADE(name) LUNATIC_IMPORT("lunatic::upgrade", #name)
#define LUNATIC_UPGRADE_PURGE 1u   /* kill what runs the oldest version when a third loads */
#define LUNATIC_UPGRADE_RESTART 2u /* kill processes that cannot hand over, for restarts */
LUNATIC_UPGRADE(save_state)
uint32_t lunatic_upgrade_save_state(uint32_t version, uint32_t version_len, uint32_t state,
                                    uint32_t state_len);
LUNATIC_UPGRADE(state_size) int64_t lunatic_upgrade_state_size(void);
LUNATIC_UPGRADE(read_state) void lunatic_upgrade_read_state(uint32_t ptr);
LUNATIC_UPGRADE(old_version_size) int64_t lunatic_upgrade_old_version_size(void);
LUNATIC_UPGRADE(read_old_version) void lunatic_upgrade_read_old_version(uint32_t ptr);
LUNATIC_UPGRADE(checkpoint) uint32_t lunatic_upgrade_checkpoint(void);
LUNATIC_UPGRADE(upgrade_process)
uint32_t lunatic_upgrade_process(uint64_t process_id, uint64_t module_id, uint32_t flags,
                                 uint64_t timeout_ms, uint32_t error_id_ptr);
LUNATIC_UPGRADE(upgrade_module)
uint32_t lunatic_upgrade_module(uint64_t old_module_id, uint64_t new_module_id, uint32_t flags,
                                uint64_t timeout_ms, uint32_t result_ptr);

/* Pointers and lengths as the ABI wants them (wasm32: 32-bit addresses). */
#define LUNATIC_PTR(p) ((uint32_t)(uintptr_t)(p))

#ifdef __cplusplus
}
#endif

#endif /* LUNATIC_ABI_H */
