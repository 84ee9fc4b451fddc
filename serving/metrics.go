package serving

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics holds the Server's Prometheus collectors, registered on a
// registry of its own (no global state). Immutable after newMetrics.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec   // model, code
	latency   *prometheus.HistogramVec // model: whole request
	queue     *prometheus.HistogramVec // model: wait for a worker
	batchWait *prometheus.HistogramVec // model: wait for the batch to fill
	compute   *prometheus.HistogramVec // model: engine time
	batchSize *prometheus.HistogramVec // model: items per run
	inFlight  prometheus.Gauge
	shed      *prometheus.CounterVec // model
	dropped   *prometheus.CounterVec // model: deadline passed while queued
	stalls    *prometheus.CounterVec // model
}

func newMetrics(src ModelSource) *metrics {
	buckets := []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeinfer_requests_total", Help: "Inference requests by model and HTTP status code.",
		}, []string{"model", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "edgeinfer_request_seconds", Help: "Whole inference request latency, decode to encode.", Buckets: buckets,
		}, []string{"model"}),
		queue: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "edgeinfer_queue_seconds", Help: "Time a request waited in its model's queue.", Buckets: buckets,
		}, []string{"model"}),
		batchWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "edgeinfer_batch_wait_seconds", Help: "Time a request waited for its batch to fill.", Buckets: buckets,
		}, []string{"model"}),
		compute: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "edgeinfer_compute_seconds", Help: "Engine time of one run (a whole batch).", Buckets: buckets,
		}, []string{"model"}),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "edgeinfer_batch_size", Help: "Items per engine run.", Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
		}, []string{"model"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "edgeinfer_in_flight_requests", Help: "Inference requests being served now.",
		}),
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeinfer_shed_total", Help: "Requests refused because the model's queue was full.",
		}, []string{"model"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeinfer_queue_expired_total", Help: "Queued requests dropped because their deadline passed before running.",
		}, []string{"model"}),
		stalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgeinfer_stalls_total", Help: "Runs that overran their deadline by the stall margin.",
		}, []string{"model"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.queue, m.batchWait, m.compute, m.batchSize, m.inFlight, m.shed, m.dropped, m.stalls,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if ss, ok := src.(StatsSource); ok {
		m.reg.MustRegister(cacheCollector{ss})
	}
	return m
}

// cacheCollector exports a StatsSource's snapshot at scrape time.
type cacheCollector struct{ src StatsSource }

var (
	cacheDescHits      = prometheus.NewDesc("edgeinfer_cache_hits_total", "Model cache hits.", nil, nil)
	cacheDescMisses    = prometheus.NewDesc("edgeinfer_cache_misses_total", "Model cache misses.", nil, nil)
	cacheDescLoads     = prometheus.NewDesc("edgeinfer_cache_loads_total", "Model loads.", nil, nil)
	cacheDescLoadErrs  = prometheus.NewDesc("edgeinfer_cache_load_errors_total", "Failed model loads.", nil, nil)
	cacheDescEvictions = prometheus.NewDesc("edgeinfer_cache_evictions_total", "Models evicted from the cache.", nil, nil)
	cacheDescBytes     = prometheus.NewDesc("edgeinfer_cache_bytes", "Bytes charged to warm models.", nil, nil)
	cacheDescModels    = prometheus.NewDesc("edgeinfer_cache_models", "Models warm in the cache.", nil, nil)
	cacheDescPanics    = prometheus.NewDesc("edgeinfer_cache_load_panics_total", "Model loads that panicked (recovered, counted as failed loads).", nil, nil)
	cacheDescFailing   = prometheus.NewDesc("edgeinfer_cache_failing_versions", "Model versions whose last load failed (retried with exponential backoff).", nil, nil)
)

func (c cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cacheDescHits, cacheDescMisses, cacheDescLoads, cacheDescLoadErrs, cacheDescEvictions, cacheDescBytes, cacheDescModels, cacheDescPanics, cacheDescFailing} {
		ch <- d
	}
}

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Stats()
	ch <- prometheus.MustNewConstMetric(cacheDescHits, prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(cacheDescMisses, prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(cacheDescLoads, prometheus.CounterValue, float64(s.Loads))
	ch <- prometheus.MustNewConstMetric(cacheDescLoadErrs, prometheus.CounterValue, float64(s.LoadErrors))
	ch <- prometheus.MustNewConstMetric(cacheDescEvictions, prometheus.CounterValue, float64(s.Evictions))
	ch <- prometheus.MustNewConstMetric(cacheDescBytes, prometheus.GaugeValue, float64(s.Bytes))
	ch <- prometheus.MustNewConstMetric(cacheDescModels, prometheus.GaugeValue, float64(s.Models))
	ch <- prometheus.MustNewConstMetric(cacheDescPanics, prometheus.CounterValue, float64(s.LoadPanics))
	ch <- prometheus.MustNewConstMetric(cacheDescFailing, prometheus.GaugeValue, float64(s.FailingVersions))
}
