;; Not a program: a module that proc_compile.wasm and proc_config.wasm read from a preopened
;; directory and load with lunatic::process::compile_module, then spawn from.
;;   hello(parent: i64)  sends the parent an empty data message with tag 99
;;   boom()              traps (unreachable)
(module
  (import "lunatic::message" "create_data" (func $create_data (param i64 i64)))
  (import "lunatic::message" "send" (func $send (param i64) (result i32)))
  (memory (export "memory") 1)
  (func $hello (export "hello") (param $parent i64)
    (call $create_data (i64.const 99) (i64.const 0))
    (drop (call $send (local.get $parent))))
  (func $boom (export "boom")
    unreachable))
