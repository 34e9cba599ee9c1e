package mempool

import "container/heap"

// evictionQueue orders pool entries by how soon they are evicted when the
// pool is full: lowest fee rate first, and among equal rates the latest
// arrival first. Each slot carries its sort key, so sifting reads only the
// queue's own memory; entries record their position, so removal is
// O(log n).
type evictionQueue []evictionSlot

type evictionSlot struct {
	rate int64
	seq  uint64
	e    *Entry
}

func (q evictionQueue) Len() int { return len(q) }

func (q evictionQueue) Less(i, j int) bool {
	if q[i].rate != q[j].rate {
		return q[i].rate < q[j].rate
	}
	return q[i].seq > q[j].seq
}

func (q evictionQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].e.evictIdx = i
	q[j].e.evictIdx = j
}

func (q *evictionQueue) Push(x any) {
	e := x.(*Entry)
	e.evictIdx = len(*q)
	*q = append(*q, evictionSlot{rate: e.FeeRate(), seq: e.Seq, e: e})
}

func (q *evictionQueue) Pop() any {
	old := *q
	s := old[len(old)-1]
	old[len(old)-1] = evictionSlot{}
	*q = old[:len(old)-1]
	s.e.evictIdx = -1
	return s.e
}

func (q *evictionQueue) insert(e *Entry) { heap.Push(q, e) }

func (q *evictionQueue) remove(e *Entry) {
	if i := e.evictIdx; i >= 0 && i < len(*q) && (*q)[i].e == e {
		heap.Remove(q, i)
	}
}

// worst returns the entry to evict next, or nil when the queue is empty.
func (q evictionQueue) worst() *Entry {
	if len(q) == 0 {
		return nil
	}
	return q[0].e
}
