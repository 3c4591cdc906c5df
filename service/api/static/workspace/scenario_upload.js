"use strict";
// A scenario YAML file stored from the page: PUT /scenarios/{name}/yaml (the API reads it as
// the CLI reads a scenario file). It then appears in the scenario list, picked; a refusal
// (not YAML, a bad field) is said next to the upload control, the file choice kept.
Object.assign(window.LABELS, {
  scenario_file: ["上传情景 YAML 文件", "Upload a scenario YAML file"],
  scenario_save_as: ["保存为", "Save as"],
  scenario_upload: ["上传情景", "Upload the scenario"],
  scenario_no_file: ["请先选择情景 YAML 文件。", "Choose a scenario YAML file first."],
  scenario_stored: ["已保存情景:{name}(第 {version} 版)", "Scenario stored: {name} (version {version})"],
});

window.scenarioUpload = (function () {
  const $ = (sel) => document.querySelector(sel);

  async function upload() {
    const err = $("#scenario-upload-error");
    const done = $("#scenario-upload-done");
    err.hidden = true;
    done.hidden = true;
    const file = $("#scenario-file").files[0];
    if (!file) {
      window.showProblem(err, ...window.LABELS.scenario_no_file);
      return;
    }
    const name = $("#scenario-save-name").value.trim() || file.name.replace(/\.ya?ml$/i, "");
    let stored;
    try {
      stored = await window.api.send("PUT", "/scenarios/" + encodeURIComponent(name) + "/yaml",
        await file.text(), "application/yaml");
    } catch (exc) {
      const where = exc.field ? " [" + exc.field + "]" : "";
      window.showProblem(err, (exc.problem_zh || String(exc)) + where,
        (exc.problem || String(exc)) + where);
      return;  // the file and the name stay as chosen
    }
    await window.ws.reloadScenarios(stored.area, stored.name);
    const vars = { name: stored.name, version: stored.version };
    done.textContent = window.t("scenario_stored").replace(/\{(\w+)\}/g, (m, k) => vars[k]);
    done.hidden = false;
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#scenario-upload-go").addEventListener("click", upload);
    $("#scenario-file").addEventListener("change", () => {
      const file = $("#scenario-file").files[0];
      if (file && !$("#scenario-save-name").value.trim()) {
        $("#scenario-save-name").value = file.name.replace(/\.ya?ml$/i, "");
      }
    });
  });
  return { upload };
})();
