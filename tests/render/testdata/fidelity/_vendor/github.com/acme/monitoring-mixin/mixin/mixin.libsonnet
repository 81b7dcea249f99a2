// A monitoring-mixin look-alike: config merged with `+:`, dashboards as JSON strings.
{
  _config+:: {
    selector: 'job="app"',
    refresh: '30s',
  },
  grafanaDashboards+:: {
    'overview.json': {
      title: 'Overview',
      refresh: $._config.refresh,
      panels: [
        { id: 1, title: 'Requests', targets: [{ expr: 'sum(rate(http_requests_total{%s}[5m]))' % $._config.selector }] },
        { id: 2, title: 'Errors', targets: [{ expr: 'sum(rate(http_errors_total{%s}[5m]))' % $._config.selector }] },
      ],
    },
  },
}
