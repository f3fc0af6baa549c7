;; Imports functions under names the host has, with signatures it does not have:
;; wasi_snapshot_preview1.fd_write as (i32) -> (i32) (really (i32 i32 i32 i32) -> (i32)) and
;; wasi_snapshot_preview1.proc_exit as (i64) -> () (really (i32) -> ()). Both must be reported.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i64)))
  (memory (export "memory") 1)
  (func $_start (export "_start")
    i32.const 0
    call $fd_write
    drop
    i64.const 0
    call $proc_exit))
