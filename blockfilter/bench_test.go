package blockfilter

import "testing"

// BenchmarkBuild measures building the filter of a block of 1,000 outputs and 300 inputs.
func BenchmarkBuild(b *testing.B) {
	blk := testBlock(1000, 300)
	var size int
	for b.Loop() {
		f, err := Build(blk)
		if err != nil {
			b.Fatal(err)
		}
		size = len(f)
	}
	b.ReportMetric(float64(size)/1300, "bytes/element")
}

// BenchmarkMatch measures matching 40 wallet elements against that filter.
func BenchmarkMatch(b *testing.B) {
	blk := testBlock(1000, 300)
	raw, _ := Build(blk)
	f, err := Decode(blk.Hash(), raw)
	if err != nil {
		b.Fatal(err)
	}
	var query [][]byte
	for i := 0; i < 40; i++ {
		query = append(query, KeyElement(pub(5000+i)))
	}
	for b.Loop() {
		if _, err := f.MatchAny(query); err != nil {
			b.Fatal(err)
		}
	}
}
