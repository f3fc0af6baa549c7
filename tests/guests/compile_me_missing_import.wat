;; Not a program: a valid module whose import the host does not provide, for
;; lunatic::process::compile_module to refuse with an error (proc_compile.wasm).
(module
  (import "env" "not_provided_by_the_host" (func (param i32)))
  (func (export "run")))
