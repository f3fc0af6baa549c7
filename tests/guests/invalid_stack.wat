;; Fails validation: i32.add with only one operand on the stack, and a call to function 7 of 2.
;; wat2wasm-flags: --no-check
(module
  (memory (export "memory") 1)
  (func $underflow (result i32)
    i32.const 1
    i32.add)
  (func $_start (export "_start")
    call 7))
