package bench

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"time"
)

// profiler writes the pprof profiles and memory timeline of one window of a bench
// (PublishConfig.ProfileDir): name.cpu.pprof over the window, name.heap.pprof at its end (the
// allocations since the process started, and what the last GC found live), and name.mem.tsv,
// the process's resident set and the Go heap every sampleEvery.
type profiler struct {
	name, dir string
	cpu       *os.File
	stop      chan struct{}
	done      sync.WaitGroup
}

const sampleEvery = 250 * time.Millisecond

// startProfile starts a window's profiles in dir; with dir empty it does nothing.
func startProfile(dir, name string) (*profiler, error) {
	if dir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(dir, name+".cpu.pprof"))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	mem, err := os.Create(filepath.Join(dir, name+".mem.tsv"))
	if err != nil {
		pprof.StopCPUProfile()
		f.Close()
		return nil, err
	}
	p := &profiler{name: name, dir: dir, cpu: f, stop: make(chan struct{})}
	p.done.Go(func() { sampleMemory(mem, p.stop) })
	return p, nil
}

// finish stops the window's profiles and writes its heap profile.
func (p *profiler) finish() error {
	if p == nil {
		return nil
	}
	pprof.StopCPUProfile()
	close(p.stop)
	p.done.Wait()
	h, err := os.Create(filepath.Join(p.dir, p.name+".heap.pprof"))
	if err != nil {
		return err
	}
	return errors.Join(pprof.WriteHeapProfile(h), h.Close(), p.cpu.Close())
}

// sampleMemory writes a line per sampleEvery until stop is closed: seconds since the start, the
// resident set (VmRSS), the Go heap's live and total objects, its goal, the memory the runtime
// holds from the OS, and the GC cycles so far, in MiB but the last.
func sampleMemory(f *os.File, stop <-chan struct{}) {
	defer f.Close()
	w := bufio.NewWriter(f)
	defer w.Flush()
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/heap/goal:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/gc/cycles/total:gc-cycles"},
	}
	fmt.Fprintln(w, "s\trss_mb\theap_objects_mb\theap_live_mb\theap_goal_mb\truntime_mb\tgc_cycles")
	start := time.Now()
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	mb := func(v uint64) float64 { return float64(v) / (1 << 20) }
	for {
		metrics.Read(samples)
		total := samples[3].Value.Uint64() - samples[4].Value.Uint64()
		fmt.Fprintf(w, "%.2f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%d\n", time.Since(start).Seconds(), rssMB(),
			mb(samples[0].Value.Uint64()), mb(samples[1].Value.Uint64()), mb(samples[2].Value.Uint64()), mb(total),
			samples[5].Value.Uint64())
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}
