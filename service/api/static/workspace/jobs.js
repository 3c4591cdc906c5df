"use strict";
// Following a job (检查、调度、重新调度、演练评分): its stage and progress on a bar, a Cancel
// button while it is queued or running (POST /jobs/{id}/cancel, for a job this page started),
// and a lost connection said next to the bar while api.js retries with backoff. The one place
// the page polls GET /jobs/{id}; check.js, duty.js and drill.js use it.
Object.assign(window.LABELS, {
  cancel_job: ["取消任务", "Cancel"],
  job_cancelled: ["已取消", "cancelled"],
  job_cancelling: ["正在取消…", "cancelling…"],
  job_offline: ["连接中断,正在重试…", "Connection lost, retrying…"],
});

window.jobs = (function () {
  const POLL_MS = 400;
  const enc = encodeURIComponent;
  const following = new Set();  // the trackers whose text is drawn again on a language switch
  let offline = false;

  const active = (job) => job.status === "queued" || job.status === "running";

  // "stage · 37%" in the current language (a stage without a label is shown as it is named).
  function stageText(job) {
    const share = Math.round((job.status === "done" ? 1 : job.progress) * 100) + "%";
    if (job.status !== "running") {
      const key = window.LABELS["job_" + job.status] ? "job_" + job.status : job.status;
      return window.t(key) + " · " + share;
    }
    const key = "stage_" + job.stage;
    return (window.LABELS[key] ? window.t(key) : job.stage) + " · " + share;
  }

  function draw(tr) {
    const job = tr.job;
    tr.bar.value = job.status === "done" ? 1 : job.progress;
    let text = stageText(job);
    if (tr.cancelling && active(job)) { text = window.t("job_cancelling"); }
    if (offline && active(job)) { text += " · " + window.t("job_offline"); }
    tr.stage.textContent = text;
    tr.bar.dataset.offline = offline && active(job) ? "1" : "";
    tr.button.hidden = !tr.cancellable || !active(job);
  }

  function cancelButton(box) {
    let b = box.querySelector("button.job-cancel");
    if (!b) {
      b = document.createElement("button");
      b.type = "button";
      b.className = "job-cancel";
      b.dataset.t = "cancel_job";
      b.textContent = window.t("cancel_job");
      box.append(b);
    }
    return b;
  }

  async function cancel(tr) {
    tr.cancelling = true;
    tr.button.disabled = true;
    draw(tr);
    try {
      tr.job = await window.api.post("/jobs/" + enc(tr.job.id) + "/cancel");
    } catch (exc) {
      tr.cancelling = false;  // 409: it finished meanwhile, the next poll says so
      if (tr.error && exc.status !== 409) {
        window.showProblem(tr.error, exc.problem_zh || String(exc), exc.problem || String(exc));
      }
    }
    tr.button.disabled = false;
    draw(tr);
  }

  // Follow ``job`` to its end and return it as it ended (done, failed or cancelled).
  // ``ui``: {box, bar, stage} elements, ``error`` (where a refused cancellation is said),
  // ``cancellable`` (this page started the job: its submitter may cancel it).
  async function follow(job, ui) {
    const tr = { ...ui, job, cancelling: false, button: cancelButton(ui.box) };
    ui.box.hidden = false;
    tr.bar.dataset.job = job.id;
    delete tr.bar.dataset.status;
    tr.button.onclick = () => cancel(tr);
    for (const other of [...following]) {
      if (other.stage === tr.stage) { following.delete(other); }
    }
    following.add(tr);
    draw(tr);
    while (active(tr.job)) {
      await window.api.sleep(POLL_MS);
      if (!active(tr.job)) { break; }  // cancelled from the page meanwhile
      const now = await window.api.get("/jobs/" + enc(job.id));
      if (active(tr.job)) { tr.job = now; }
      draw(tr);
    }
    tr.bar.dataset.status = tr.job.status;
    draw(tr);
    return tr.job;
  }

  // The problem of a failed job (its problem_zh/problem) next to the form that started it.
  function showFailure(err, job) {
    const e = job.error || {};
    window.showProblem(err, e.problem_zh || "任务失败", e.problem || "the job failed");
  }

  window.api.onOffline((down) => {
    offline = down;
    following.forEach(draw);
  });

  return {
    follow,
    showFailure,
    stageText,
    redraw: () => following.forEach(draw),
  };
})();
