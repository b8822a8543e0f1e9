from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from comparison import charts, selectors
from comparison.recorder import recorder


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    # This process's buffered samples first, so a visitor sees their own requests.
    recorder.flush()
    instances = selectors.instance_names()
    instance = request.GET.get("instance")
    if instance not in instances:
        instance = None
    summaries = selectors.lane_summaries(instance=instance)
    axis, series = selectors.requests_per_minute(minutes=60, instance=instance)
    by_lane = {summary.lane: summary for summary in summaries}
    drill, benchmark = selectors.latest_drill(), selectors.latest_benchmark()
    context = {
        "instances": instances,
        "instance": instance,
        "summaries": summaries,
        "by_lane": by_lane,
        "total_requests": sum(summary.requests for summary in summaries),
        "histograms": charts.latency_histograms(summaries),
        "timeline": charts.timeline(axis, series),
        "revocations": selectors.recent_revocations(limit=5),
        "drill": drill,
        "role_drill": selectors.latest_role_drill(),
        "benchmark": benchmark,
        "claims": selectors.claims(by_lane=by_lane, drill=drill, benchmark=benchmark),
        "dropped": selectors.dropped_samples(),
        "bounds": selectors.revocation_bounds(),
    }
    return render(request, "comparison/dashboard.html", context)
