//go:build amd64 && !purego

package hashcore

import "golang.org/x/sys/cpu"

// blockSHANI is the compression function on the CPU's SHA extensions.
//
//go:noescape
func blockSHANI(state *[8]uint32, p *[64]byte)

// doubleSHANI compresses tail into a copy of mid and hashes the resulting
// digest again, writing the final state to out.
//
//go:noescape
func doubleSHANI(mid *[8]uint32, tail *[64]byte, out *[8]uint32)

// double2SHANI runs doubleSHANI on two tails at once, interleaved.
//
//go:noescape
func double2SHANI(mid *[8]uint32, tails *[2][64]byte, outs *[2][8]uint32)

// hasSHANI reports whether CPUID leaf 7 lists the SHA extensions.
func hasSHANI() bool

func init() {
	if cpu.X86.HasSSE41 && cpu.X86.HasSSSE3 && hasSHANI() {
		compress, implName = blockSHANI, "sha-ni"
		double, double2 = doubleSHANI, double2SHANI
	}
}
