;; Fails validation: a function declared to return i32 leaves an i64 on the stack.
;; wat2wasm-flags: --no-check
(module
  (memory (export "memory") 1)
  (func $wrong_result (result i32)
    i64.const 1)
  (func $_start (export "_start")
    call $wrong_result
    drop))
