package main

import (
	"io"
	"log/slog"

	"github.com/spf13/pflag"
	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/ledgerd/ledger/internal/cli"
)

// logFlags say where and how `node run` logs.
type logFlags struct {
	level, format, file   string
	maxSizeMB, maxBackups int
	maxAgeDays            int
}

func (l *logFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&l.level, "log-level", "info", "log level: debug, info, warn or error")
	fl.StringVar(&l.format, "log-format", "text", "log format: text or json")
	fl.StringVar(&l.file, "log-file", "", "write the log to this file instead of stderr, rotating it")
	fl.IntVar(&l.maxSizeMB, "log-max-size", 100, "rotate --log-file when it reaches this many MiB")
	fl.IntVar(&l.maxBackups, "log-max-backups", 5, "rotated log files to keep (0 keeps all)")
	fl.IntVar(&l.maxAgeDays, "log-max-age", 0, "delete rotated log files older than this many days (0 keeps them)")
}

// open returns the logger and a function that closes its file.
func (l *logFlags) open(stderr io.Writer) (*slog.Logger, func(), error) {
	lv, err := cli.ParseLevel(l.level)
	if err != nil {
		return nil, nil, cli.Usagef("--log-level: %v", err)
	}
	if l.format != "text" && l.format != "json" {
		return nil, nil, cli.Usagef("--log-format must be text or json, got %q", l.format)
	}
	if l.maxSizeMB < 1 || l.maxBackups < 0 || l.maxAgeDays < 0 {
		return nil, nil, cli.Usagef("--log-max-size must be at least 1 and --log-max-backups, --log-max-age not negative")
	}
	w, closeFn := stderr, func() {}
	if l.file != "" {
		rot := &lumberjack.Logger{Filename: l.file, MaxSize: l.maxSizeMB, MaxBackups: l.maxBackups, MaxAge: l.maxAgeDays}
		w, closeFn = rot, func() { rot.Close() }
	}
	opts := &slog.HandlerOptions{Level: lv}
	if l.format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), closeFn, nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), closeFn, nil
}
