package explorer

import (
	"net/http"
	"strconv"
)

// paging is one page of a list shown newest or best first.
type paging struct {
	Page, Pages int
	// From and To bound the page's items, zero-based, To exclusive.
	From, To int
	Total    int
	// Base is the list's path, to which links add ?page=N.
	Base string
}

// Prev and Next are the neighbouring page numbers, 0 when there is none.
func (p paging) Prev() int {
	if p.Page > 1 {
		return p.Page - 1
	}
	return 0
}

func (p paging) Next() int {
	if p.Page < p.Pages {
		return p.Page + 1
	}
	return 0
}

// pageOf reads ?page=N (default 1) for the list at base of total items,
// per to a page. A page that is not a positive whole number is a 400; one past the
// last page a 404. An empty list has one, empty, page.
func pageOf(r *http.Request, base string, total, per int) (paging, error) {
	p := paging{Page: 1, Total: total, Base: base, Pages: max(1, (total+per-1)/per)}
	if s := r.URL.Query().Get("page"); s != "" || r.URL.Query().Has("page") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p, badRequest("The page number must be a whole number from 1 up; %q is not.", s)
		}
		if n > p.Pages {
			return p, notFound("There is no page %d: the list has %d page(s).", n, p.Pages)
		}
		p.Page = n
	}
	p.From = (p.Page - 1) * per
	p.To = min(p.From+per, total)
	return p, nil
}
