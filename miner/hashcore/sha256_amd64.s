//go:build amd64 && !purego

#include "textflag.h"

// Byte shuffle that turns little-endian loads into big-endian message words.
DATA flipMask<>+0(SB)/8, $0x0405060700010203
DATA flipMask<>+8(SB)/8, $0x0c0d0e0f08090a0b
GLOBL flipMask<>(SB), RODATA|NOPTR, $16

// func hasSHANI() bool
TEXT ·hasSHANI(SB), NOSPLIT, $0-1
	MOVL $7, AX
	MOVL $0, CX
	CPUID
	SHRL $29, BX
	ANDL $1, BX
	MOVB BX, ret+0(FP)
	RET

// Four rounds with message words MSG: X1 holds ABEF, X2 holds CDGH.
#define ROUNDS4(MSG, OFF) \
	MOVOU OFF(AX), X0 \
	PADDD MSG, X0 \
	SHA256RNDS2 X0, X1, X2 \
	PSHUFD $0x0E, X0, X0 \
	SHA256RNDS2 X0, X2, X1

// Four rounds of two independent hashes: lane A (state X1/X2, message MA)
// and lane B (state X11/X12, message MB). The round constants sit in X7;
// SHA256RNDS2 reads its message from X0 implicitly, which both lanes reuse.
#define ROUNDS4X2(MA, MB, OFF) \
	MOVOU OFF(AX), X7 \
	MOVO X7, X0 \
	PADDD MA, X0 \
	SHA256RNDS2 X0, X1, X2 \
	PSHUFD $0x0E, X0, X0 \
	SHA256RNDS2 X0, X2, X1 \
	MOVO X7, X0 \
	PADDD MB, X0 \
	SHA256RNDS2 X0, X11, X12 \
	PSHUFD $0x0E, X0, X0 \
	SHA256RNDS2 X0, X12, X11

// Next four message words into M0 (holding the words 16 earlier), from
// M1 (12 earlier), M2 (8 earlier) and M3 (4 earlier).
#define SCHEDULE(M0, M1, M2, M3) \
	SHA256MSG1 M1, M0 \
	MOVO M3, X7 \
	PALIGNR $4, M2, X7 \
	PADDD X7, M0 \
	SHA256MSG2 M3, M0

// State a..h at (R) to the ABEF (X1) / CDGH (X2) lane order, saved in X9/X10.
#define STATE_IN(R) \
	MOVOU (R), X1 \
	MOVOU 16(R), X2 \
	PSHUFD $0xB1, X1, X1 \
	PSHUFD $0x1B, X2, X2 \
	MOVO X1, X7 \
	PALIGNR $8, X2, X1 \
	PBLENDW $0xF0, X7, X2 \
	MOVO X1, X9 \
	MOVO X2, X10

// Adds the saved state (X9/X10) to the ABEF/CDGH pair S1/S2 and turns it
// back into a..h (S1 = a..d, S2 = e..h).
#define STATE_OUTX(S1, S2) \
	PADDD X9, S1 \
	PADDD X10, S2 \
	PSHUFD $0x1B, S1, S1 \
	PSHUFD $0xB1, S2, S2 \
	MOVO S1, X7 \
	PBLENDW $0xF0, S2, S1 \
	PALIGNR $8, X7, S2

// Adds the saved state and turns X1/X2 back into a..h (X1 = a..d, X2 = e..h).
#define STATE_OUT STATE_OUTX(X1, X2)

// Loads the 64-byte block at (R) as big-endian message words into
// M0..M3, byte-swapping with the shuffle mask in MASK.
#define LOAD_MSGX(R, MASK, M0, M1, M2, M3) \
	MOVOU 0(R), M0 \
	PSHUFB MASK, M0 \
	MOVOU 16(R), M1 \
	PSHUFB MASK, M1 \
	MOVOU 32(R), M2 \
	PSHUFB MASK, M2 \
	MOVOU 48(R), M3 \
	PSHUFB MASK, M3

// Loads the 64-byte block at (R) as big-endian message words into X3..X6.
#define LOAD_MSG(R) LOAD_MSGX(R, X8, X3, X4, X5, X6)

// All 64 rounds on the message words in X3..X6 (scheduled in place).
#define ROUNDS64 \
	ROUNDS4(X3, 0) \
	ROUNDS4(X4, 16) \
	ROUNDS4(X5, 32) \
	ROUNDS4(X6, 48) \
	SCHEDULE(X3, X4, X5, X6) \
	ROUNDS4(X3, 64) \
	SCHEDULE(X4, X5, X6, X3) \
	ROUNDS4(X4, 80) \
	SCHEDULE(X5, X6, X3, X4) \
	ROUNDS4(X5, 96) \
	SCHEDULE(X6, X3, X4, X5) \
	ROUNDS4(X6, 112) \
	SCHEDULE(X3, X4, X5, X6) \
	ROUNDS4(X3, 128) \
	SCHEDULE(X4, X5, X6, X3) \
	ROUNDS4(X4, 144) \
	SCHEDULE(X5, X6, X3, X4) \
	ROUNDS4(X5, 160) \
	SCHEDULE(X6, X3, X4, X5) \
	ROUNDS4(X6, 176) \
	SCHEDULE(X3, X4, X5, X6) \
	ROUNDS4(X3, 192) \
	SCHEDULE(X4, X5, X6, X3) \
	ROUNDS4(X4, 208) \
	SCHEDULE(X5, X6, X3, X4) \
	ROUNDS4(X5, 224) \
	SCHEDULE(X6, X3, X4, X5) \
	ROUNDS4(X6, 240)

// All 64 rounds of two interleaved hashes: lane A's message words are in
// X3..X6, lane B's in X13, X14, X15, X8 (both scheduled in place).
#define ROUNDS64X2 \
	ROUNDS4X2(X3, X13, 0) \
	ROUNDS4X2(X4, X14, 16) \
	ROUNDS4X2(X5, X15, 32) \
	ROUNDS4X2(X6, X8, 48) \
	SCHEDULE(X3, X4, X5, X6) \
	SCHEDULE(X13, X14, X15, X8) \
	ROUNDS4X2(X3, X13, 64) \
	SCHEDULE(X4, X5, X6, X3) \
	SCHEDULE(X14, X15, X8, X13) \
	ROUNDS4X2(X4, X14, 80) \
	SCHEDULE(X5, X6, X3, X4) \
	SCHEDULE(X15, X8, X13, X14) \
	ROUNDS4X2(X5, X15, 96) \
	SCHEDULE(X6, X3, X4, X5) \
	SCHEDULE(X8, X13, X14, X15) \
	ROUNDS4X2(X6, X8, 112) \
	SCHEDULE(X3, X4, X5, X6) \
	SCHEDULE(X13, X14, X15, X8) \
	ROUNDS4X2(X3, X13, 128) \
	SCHEDULE(X4, X5, X6, X3) \
	SCHEDULE(X14, X15, X8, X13) \
	ROUNDS4X2(X4, X14, 144) \
	SCHEDULE(X5, X6, X3, X4) \
	SCHEDULE(X15, X8, X13, X14) \
	ROUNDS4X2(X5, X15, 160) \
	SCHEDULE(X6, X3, X4, X5) \
	SCHEDULE(X8, X13, X14, X15) \
	ROUNDS4X2(X6, X8, 176) \
	SCHEDULE(X3, X4, X5, X6) \
	SCHEDULE(X13, X14, X15, X8) \
	ROUNDS4X2(X3, X13, 192) \
	SCHEDULE(X4, X5, X6, X3) \
	SCHEDULE(X14, X15, X8, X13) \
	ROUNDS4X2(X4, X14, 208) \
	SCHEDULE(X5, X6, X3, X4) \
	SCHEDULE(X15, X8, X13, X14) \
	ROUNDS4X2(X5, X15, 224) \
	SCHEDULE(X6, X3, X4, X5) \
	SCHEDULE(X8, X13, X14, X15) \
	ROUNDS4X2(X6, X8, 240)

// func blockSHANI(state *[8]uint32, p *[64]byte)
TEXT ·blockSHANI(SB), NOSPLIT, $0-16
	MOVQ state+0(FP), DI
	MOVQ p+8(FP), SI
	LEAQ ·k256(SB), AX
	MOVOU flipMask<>(SB), X8

	STATE_IN(DI)

	LOAD_MSG(SI)

	ROUNDS64

	STATE_OUT
	MOVOU X1, (DI)
	MOVOU X2, 16(DI)
	RET

// Initial hash value in the ABEF / CDGH lane order.
DATA ivABEF<>+0(SB)/8, $0x510e527f9b05688c
DATA ivABEF<>+8(SB)/8, $0x6a09e667bb67ae85
GLOBL ivABEF<>(SB), RODATA|NOPTR, $16
DATA ivCDGH<>+0(SB)/8, $0x1f83d9ab5be0cd19
DATA ivCDGH<>+8(SB)/8, $0x3c6ef372a54ff53a
GLOBL ivCDGH<>(SB), RODATA|NOPTR, $16

// Padding words 8..15 of a 32-byte message: 0x80000000, zeros, length 256.
DATA pad32lo<>+0(SB)/8, $0x0000000080000000
DATA pad32lo<>+8(SB)/8, $0
GLOBL pad32lo<>(SB), RODATA|NOPTR, $16
DATA pad32hi<>+0(SB)/8, $0
DATA pad32hi<>+8(SB)/8, $0x0000010000000000
GLOBL pad32hi<>(SB), RODATA|NOPTR, $16

// func doubleSHANI(mid *[8]uint32, tail *[64]byte, out *[8]uint32)
// Compresses tail into a copy of mid, then hashes the 32-byte digest with
// a second SHA-256, keeping the digest in registers between the two.
TEXT ·doubleSHANI(SB), NOSPLIT, $0-24
	MOVQ mid+0(FP), DI
	MOVQ tail+8(FP), SI
	MOVQ out+16(FP), DX
	LEAQ ·k256(SB), AX
	MOVOU flipMask<>(SB), X8

	STATE_IN(DI)

	LOAD_MSG(SI)
	ROUNDS64
	STATE_OUT

	// The digest a..h becomes message words 0..7 of the second hash.
	MOVO X1, X3
	MOVO X2, X4
	MOVOU pad32lo<>(SB), X5
	MOVOU pad32hi<>(SB), X6
	MOVOU ivABEF<>(SB), X1
	MOVOU ivCDGH<>(SB), X2
	MOVO X1, X9
	MOVO X2, X10
	ROUNDS64
	STATE_OUT
	MOVOU X1, (DX)
	MOVOU X2, 16(DX)
	RET

// func double2SHANI(mid *[8]uint32, tails *[2][64]byte, outs *[2][8]uint32)
// Runs doubleSHANI on two tails at once, interleaving the two independent
// dependency chains so the SHA unit works on one while the other waits on
// SHA256RNDS2's latency.
TEXT ·double2SHANI(SB), NOSPLIT, $0-24
	MOVQ mid+0(FP), DI
	MOVQ tails+8(FP), SI
	MOVQ outs+16(FP), DX
	LEAQ ·k256(SB), AX
	LEAQ 64(SI), BX

	STATE_IN(DI)
	MOVO X1, X11
	MOVO X2, X12

	MOVOU flipMask<>(SB), X0
	LOAD_MSGX(SI, X0, X3, X4, X5, X6)
	LOAD_MSGX(BX, X0, X13, X14, X15, X8)
	ROUNDS64X2
	STATE_OUTX(X1, X2)
	STATE_OUTX(X11, X12)

	// Each digest becomes message words 0..7 of its lane's second hash.
	MOVO X1, X3
	MOVO X2, X4
	MOVO X11, X13
	MOVO X12, X14
	MOVOU pad32lo<>(SB), X5
	MOVOU pad32hi<>(SB), X6
	MOVO X5, X15
	MOVO X6, X8
	MOVOU ivABEF<>(SB), X1
	MOVOU ivCDGH<>(SB), X2
	MOVO X1, X9
	MOVO X2, X10
	MOVO X1, X11
	MOVO X2, X12
	ROUNDS64X2
	STATE_OUTX(X1, X2)
	STATE_OUTX(X11, X12)
	MOVOU X1, (DX)
	MOVOU X2, 16(DX)
	MOVOU X11, 32(DX)
	MOVOU X12, 48(DX)
	RET
