;; The 4×8 micro-kernel with fused multiply-adds (WebAssembly relaxed SIMD), hand-written:
;; clang 14 has no relaxed-SIMD intrinsics. Same tile, same packed panels and the same
;; shuffle-broadcast of A as micro_kernel in gemm.c; each c += a·b is one f32x4.relaxed_madd,
;; which V8 runs as a hardware FMA where the CPU has one (about 35% faster on the 2-core test
;; machine: half the instructions, shorter dependency chains). Linked into kernels_fma*.wasm.
;;
;; tile[4][8] = Σ_k A[k][0..3] ⊗ B[k][0..7], A packed 4 floats per k at $ap, B 8 per k at $bp.
(module
  (import "env" "__linear_memory" (memory 0))
  (func $micro_kernel_fma (export "micro_kernel_fma")
    (param $ap i32) (param $bp i32) (param $kc i32) (param $tile i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128) (local $x v128)
    (block $done
      (br_if $done (i32.le_s (local.get $kc) (i32.const 0)))
      (loop $k
        (local.set $b0 (v128.load (local.get $bp)))
        (local.set $b1 (v128.load offset=16 (local.get $bp)))
        (local.set $av (v128.load (local.get $ap)))
        ;; row 0
        (local.set $x (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $av) (local.get $av)))
        (local.set $c00 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c00)))
        (local.set $c01 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c01)))
        ;; row 1
        (local.set $x (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $av) (local.get $av)))
        (local.set $c10 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c10)))
        (local.set $c11 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c11)))
        ;; row 2
        (local.set $x (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $av) (local.get $av)))
        (local.set $c20 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c20)))
        (local.set $c21 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c21)))
        ;; row 3
        (local.set $x (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $av) (local.get $av)))
        (local.set $c30 (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get $c30)))
        (local.set $c31 (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get $c31)))
        (local.set $ap (i32.add (local.get $ap) (i32.const 16)))
        (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
        (br_if $k (local.tee $kc (i32.sub (local.get $kc) (i32.const 1))))))
    (v128.store offset=0 (local.get $tile) (local.get $c00))
    (v128.store offset=16 (local.get $tile) (local.get $c01))
    (v128.store offset=32 (local.get $tile) (local.get $c10))
    (v128.store offset=48 (local.get $tile) (local.get $c11))
    (v128.store offset=64 (local.get $tile) (local.get $c20))
    (v128.store offset=80 (local.get $tile) (local.get $c21))
    (v128.store offset=96 (local.get $tile) (local.get $c30))
    (v128.store offset=112 (local.get $tile) (local.get $c31))))
