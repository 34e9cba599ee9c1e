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

// Adds the saved state and turns X1/X2 back into a..h (X1 = a..d, X2 = e..h).
#define STATE_OUT \
	PADDD X9, X1 \
	PADDD X10, X2 \
	PSHUFD $0x1B, X1, X1 \
	PSHUFD $0xB1, X2, X2 \
	MOVO X1, X7 \
	PBLENDW $0xF0, X2, X1 \
	PALIGNR $8, X7, X2

// Loads the 64-byte block at (R) as big-endian message words into X3..X6.
#define LOAD_MSG(R) \
	MOVOU 0(R), X3 \
	PSHUFB X8, X3 \
	MOVOU 16(R), X4 \
	PSHUFB X8, X4 \
	MOVOU 32(R), X5 \
	PSHUFB X8, X5 \
	MOVOU 48(R), X6 \
	PSHUFB X8, X6

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
