;; The idle benchmark with the smallest waiting process we can write by hand: one 64 KiB page of
;; memory, no data segment, no C runtime, no stack pointer. Speaks the same stdin/stdout protocol
;; as `procs.wasm idle` (bench/processes/procs.c):
;;
;;   prints "baseline", reads N from stdin, spawns N `waiter`s and waits until each has reported
;;   that it runs (tag 2), prints "ready N", reads a line, sends each a stop message (tag 1),
;;   receives the N "done" replies (tag 3), prints "done N".
;;
;; Any unexpected result (spawn error, a receive that is not a data message, a failed write or
;; memory.grow) traps, so the runner sees a non-zero exit. The parent grows its own memory for the
;; pid table (8 bytes per waiter); the waiters keep their single page.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "lunatic::process" "spawn"
    (func $spawn (param i64 i64 i64 i32 i32 i32 i32 i32) (result i32)))
  (import "lunatic::process" "process_id" (func $process_id (result i64)))
  (import "lunatic::message" "create_data" (func $create_data (param i64 i64)))
  (import "lunatic::message" "send" (func $send (param i64) (result i32)))
  (import "lunatic::message" "receive" (func $receive (param i32 i32 i64) (result i32)))

  ;; Layout (parent only; a waiter touches none of it):
  ;;   0  "waiter"            8  tag filter (i64)    16  iovec {buf, len}   24  nread / nwritten
  ;;  32  one spawn parameter record (17 bytes)     56  the new process id  64  text line
  ;;  65536..  the pid table (pages added by memory.grow)
  (memory (export "memory") 1)

  ;; The waiting process: "started" to the parent, block in receive, "done" to the parent.
  (func $waiter (export "waiter") (param $parent i64)
    (call $create_data (i64.const 2) (i64.const 0))
    (drop (call $send (local.get $parent)))
    (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
    (call $create_data (i64.const 3) (i64.const 0))
    (drop (call $send (local.get $parent))))

  ;; Writes memory[64 .. 64+len) to stdout.
  (func $write (param $len i32)
    (i32.store (i32.const 16) (i32.const 64))
    (i32.store (i32.const 20) (local.get $len))
    (if (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))
      (then unreachable))
    (if (i32.ne (i32.load (i32.const 24)) (local.get $len))
      (then unreachable)))

  ;; Writes a line: the prefix (up to 8 bytes, little-endian in an i64), then n in decimal unless
  ;; n is negative.
  (func $line (param $prefix i64) (param $plen i32) (param $n i64)
    (local $end i32) (local $t i64)
    (i64.store (i32.const 64) (local.get $prefix))
    (local.set $end (i32.add (i32.const 64) (local.get $plen)))
    (if (i64.ge_s (local.get $n) (i64.const 0))
      (then
        ;; count the digits, then fill them in from the right
        (local.set $t (local.get $n))
        (loop $count
          (local.set $end (i32.add (local.get $end) (i32.const 1)))
          (local.set $t (i64.div_u (local.get $t) (i64.const 10)))
          (br_if $count (i64.ne (local.get $t) (i64.const 0))))
        (local.set $t (local.get $n))
        (local.set $plen (local.get $end))
        (loop $digit
          (local.set $plen (i32.sub (local.get $plen) (i32.const 1)))
          (i32.store8 (local.get $plen)
            (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $t) (i64.const 10)))))
          (local.set $t (i64.div_u (local.get $t) (i64.const 10)))
          (br_if $digit (i64.ne (local.get $t) (i64.const 0))))))
    (i32.store8 (local.get $end) (i32.const 10))
    (call $write (i32.sub (i32.add (local.get $end) (i32.const 1)) (i32.const 64))))

  ;; Reads one line from stdin, byte by byte; returns its decimal digits as a number. Traps at the
  ;; end of input.
  (func $read_line (result i64)
    (local $n i64) (local $c i32)
    (loop $next
      (i32.store (i32.const 16) (i32.const 64))
      (i32.store (i32.const 20) (i32.const 1))
      (if (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24))
        (then unreachable))
      (if (i32.eqz (i32.load (i32.const 24)))
        (then unreachable))
      (local.set $c (i32.load8_u (i32.const 64)))
      (if (i32.ne (local.get $c) (i32.const 10))
        (then
          (if (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10))
            (then
              (local.set $n
                (i64.add (i64.mul (local.get $n) (i64.const 10))
                         (i64.extend_i32_u (i32.sub (local.get $c) (i32.const 48)))))))
          (br $next))))
    (local.get $n))

  ;; Receives n data messages tagged `tag`; no message for 60 s (a lost reply) traps.
  (func $collect (param $tag i64) (param $n i32)
    (local $i i32)
    (i64.store (i32.const 8) (local.get $tag))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (call $receive (i32.const 8) (i32.const 1) (i64.const 60000))
          (then unreachable))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  (func $start (export "_start")
    (local $n i32) (local $i i32)
    (call $line (i64.const 0x656e696c65736162) (i32.const 8) (i64.const -1))  ;; "baseline"
    (local.set $n (i32.wrap_i64 (call $read_line)))
    ;; the pid table: 8 bytes per waiter from 65536 on
    (if (i32.eq (memory.grow (i32.shr_u (i32.add (i32.shl (local.get $n) (i32.const 3))
                                                 (i32.const 65535))
                                        (i32.const 16)))
                (i32.const -1))
      (then unreachable))
    (i64.store (i32.const 0) (i64.const 0x726574696177))  ;; "waiter"
    ;; the parameter record: i64 (0x7E), 16-byte little-endian value = our process id
    (i32.store8 (i32.const 32) (i32.const 0x7E))
    (i64.store (i32.const 33) (call $process_id))
    (i64.store (i32.const 41) (i64.const 0))
    (block $spawned
      (loop $next
        (br_if $spawned (i32.ge_u (local.get $i) (local.get $n)))
        (if (call $spawn (i64.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 6)
                         (i32.const 32) (i32.const 17) (i32.const 56))
          (then unreachable))
        (i64.store (i32.add (i32.const 65536) (i32.shl (local.get $i) (i32.const 3)))
                   (i64.load (i32.const 56)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $collect (i64.const 2) (local.get $n))
    (call $line (i64.const 0x207964616572) (i32.const 6) (i64.extend_i32_u (local.get $n)))  ;; "ready "
    (drop (call $read_line))
    (local.set $i (i32.const 0))
    (block $stopped
      (loop $next
        (br_if $stopped (i32.ge_u (local.get $i) (local.get $n)))
        (call $create_data (i64.const 1) (i64.const 0))
        (drop (call $send
          (i64.load (i32.add (i32.const 65536) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $collect (i64.const 3) (local.get $n))
    (call $line (i64.const 0x20656e6f64) (i32.const 5) (i64.extend_i32_u (local.get $n)))))  ;; "done "
