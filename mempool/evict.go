package mempool

import "container/heap"

// evictionQueue orders pool entries by how soon they are evicted when the
// pool is full: lowest fee rate first, and among equal rates the latest
// arrival first. Entries record their position, so removal is O(log n).
type evictionQueue []*Entry

func (q evictionQueue) Len() int { return len(q) }

func (q evictionQueue) Less(i, j int) bool {
	ri, rj := q[i].FeeRate(), q[j].FeeRate()
	if ri != rj {
		return ri < rj
	}
	return q[i].Seq > q[j].Seq
}

func (q evictionQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].evictIdx = i
	q[j].evictIdx = j
}

func (q *evictionQueue) Push(x any) {
	e := x.(*Entry)
	e.evictIdx = len(*q)
	*q = append(*q, e)
}

func (q *evictionQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	e.evictIdx = -1
	return e
}

func (q *evictionQueue) insert(e *Entry) { heap.Push(q, e) }

func (q *evictionQueue) remove(e *Entry) {
	if e.evictIdx >= 0 && e.evictIdx < len(*q) && (*q)[e.evictIdx] == e {
		heap.Remove(q, e.evictIdx)
	}
}

// worst returns the entry to evict next, or nil when the queue is empty.
func (q evictionQueue) worst() *Entry {
	if len(q) == 0 {
		return nil
	}
	return q[0]
}
