package explorer

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/ledgerd/ledger/chain"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageNames are the templates in templates/, each rendered inside layout.html.
var pageNames = []string{"home", "block", "tx", "address", "mempool", "peers", "error"}

// pages holds one parsed template set per page.
type pages struct {
	sets map[string]*template.Template
}

func loadPages() (*pages, error) {
	p := &pages{sets: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		p.sets[name] = t
	}
	return p, nil
}

// view is what layout.html renders: the page's title and navigation entry,
// the search box's text, and the page's own data.
type view struct {
	Title   string
	Nav     string
	Query   string
	Network string
	Data    any
}

// render executes page into a buffer and writes it with status, so a
// template failure becomes a whole 500 page instead of half a page.
func (e *Explorer) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	body, err := e.execute(page, v)
	if err != nil {
		e.log.Error("explorer render failed", "page", page, "path", r.URL.Path, "err", err)
		if page != "error" {
			e.fail(w, r, internalError())
			return
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body) // a client that went away is no error of the explorer
}

func (e *Explorer) execute(page string, v view) ([]byte, error) {
	t, ok := e.pages.sets[page]
	if !ok {
		return nil, fmt.Errorf("no template %q", page)
	}
	v.Network = e.src.Chain.Params().Name
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pageError is a failure shown to the user as a page with its status.
type pageError struct {
	Status  int
	Title   string
	Message string
}

func (p *pageError) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Message) }

func notFound(format string, args ...any) *pageError {
	return &pageError{Status: http.StatusNotFound, Title: "Not found", Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *pageError {
	return &pageError{Status: http.StatusBadRequest, Title: "Bad request", Message: fmt.Sprintf(format, args...)}
}

func internalError() *pageError {
	return &pageError{Status: http.StatusInternalServerError, Title: "Internal error",
		Message: "The explorer could not read this from the node; the node's log has the details."}
}

// fail writes err as a page: a *pageError as it is, chain.ErrNotFound as a
// 404, anything else as a 500 whose details go to the log only.
func (e *Explorer) fail(w http.ResponseWriter, r *http.Request, err error) {
	var pe *pageError
	switch {
	case errors.As(err, &pe):
	case errors.Is(err, chain.ErrNotFound):
		pe = notFound("The node has no such block or transaction.")
	default:
		e.log.Error("explorer request failed", "path", r.URL.Path, "err", err)
		pe = internalError()
	}
	q := ""
	if r.URL.Path == Prefix+"search" {
		q = r.URL.Query().Get("q")
	}
	e.render(w, r, pe.Status, "error", view{Title: pe.Title, Query: q, Data: pe})
}

//go:embed static
var staticFS embed.FS

// staticTypes fixes the static files' content types, which the system's
// MIME table could otherwise change (scripts must have a script type under nosniff).
var staticTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".svg": "image/svg+xml",
}

// static serves the embedded stylesheet, script and icon.
func (e *Explorer) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	sub, _ := fs.Sub(staticFS, "static")
	info, err := fs.Stat(sub, name)
	if err != nil || !info.Mode().IsRegular() || strings.HasPrefix(name, ".") {
		e.fail(w, r, notFound("There is no file %s.", name))
		return
	}
	if ct, ok := staticTypes[path.Ext(name)]; ok {
		w.Header().Set("Content-Type", ct)
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeFileFS(w, r, sub, name)
}
