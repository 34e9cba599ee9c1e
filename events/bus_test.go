package events

import "testing"

func TestBusFansOutAndDropsForSlowSubscribers(t *testing.T) {
	var b Bus
	fast, slow := b.Subscribe(4), b.Subscribe(1)
	for i := range 3 {
		b.Publish(Event{Type: TypeBlock, Height: uint64(i + 1)})
	}
	for i := range 3 {
		if ev := <-fast.C(); ev.Height != uint64(i+1) {
			t.Fatalf("fast subscriber got %+v at %d", ev, i)
		}
	}
	if ev := <-slow.C(); ev.Height != 1 {
		t.Fatalf("slow subscriber got %+v first", ev)
	}
	if slow.Dropped() != 2 || fast.Dropped() != 0 {
		t.Fatalf("dropped: slow %d fast %d, want 2 and 0", slow.Dropped(), fast.Dropped())
	}
	fast.Close()
	if b.Subscribers() != 1 {
		t.Fatalf("%d subscribers after one closed", b.Subscribers())
	}
	b.Close()
	if _, ok := <-slow.C(); ok {
		t.Fatal("subscription open after the bus closed")
	}
	late := b.Subscribe(1)
	if _, ok := <-late.C(); ok {
		t.Fatal("subscription on a closed bus is open")
	}
	late.Close() // closing twice is harmless
	b.Publish(Event{Type: TypeTx})
}
