/*
 * The coding exercise of chapter 11 in the browser: no server, no kernel, no network.
 *
 * Jupyter Book loads every .js in _static on every page; this script does nothing
 * unless the page holds the form's data (a <script type="application/json"> element
 * written by alliance.teaching.coding_form). All feedback (which theme is a
 * reference code, a defensible alternative or an extra code, and the codebook rule
 * and rationale for each) comes from that data; this script only counts, computes
 * Cohen's kappa, and shows the results. Text from the data reaches the page only
 * through textContent. The last score is exposed as JSON in the results element's
 * data-score attribute (tests/test_coding_form.py compares it with score_coding).
 */
(function () {
  "use strict";

  var FORM_ID = "alliance-coding-form";
  var DATA_ID = "alliance-coding-form-data";
  var TICKED = ["1", "1.0", "x", "\u2713", "true", "wahr", "yes"];
  var UNTICKED = ["", "0", "0.0", "false", "falsch", "no"];

  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  // The ticks survive a reload: kept in the browser's local storage, on this computer only.
  function storageKey(data) {
    return "alliance-coding-form:" + data.format + ":" + data.extracts.map(function (e) {
      return e.id;
    }).join(",");
  }

  function save(data) {
    try {
      window.localStorage.setItem(storageKey(data), JSON.stringify(readBoxes(data)));
    } catch (error) { /* storage may be disabled; the form still works */ }
  }

  function restore(data) {
    var saved = null;
    try {
      saved = JSON.parse(window.localStorage.getItem(storageKey(data)) || "null");
    } catch (error) { return false; }
    if (!Array.isArray(saved) || saved.length !== data.extracts.length) return false;
    var any = false;
    data.extracts.forEach(function (extract, i) {
      data.themes.forEach(function (theme, k) {
        var on = Boolean(saved[i] && saved[i][k]);
        document.getElementById(boxId(extract.id, theme.id)).checked = on;
        any = any || on;
      });
    });
    return any;
  }

  function boxId(extract, theme) {
    return "cf-" + extract + "-" + theme;
  }

  // Cohen's kappa of two 0/1 vectors; null when undefined (chance agreement 1).
  function kappa(key, got) {
    var n = key.length, agree = 0, keyOnes = 0, gotOnes = 0;
    for (var i = 0; i < n; i++) {
      if (key[i] === got[i]) agree++;
      keyOnes += key[i];
      gotOnes += got[i];
    }
    var po = agree / n, p1 = keyOnes / n, p2 = gotOnes / n;
    var pe = p1 * p2 + (1 - p1) * (1 - p2);
    return pe === 1 ? null : (po - pe) / (1 - pe);
  }

  // The same score as alliance.teaching.exercise.score_coding, from a coded matrix.
  function score(data, coded) {
    var themes = data.themes.map(function (t) { return t.id; });
    var reference = [], accepted = [];
    data.extracts.forEach(function (extract, i) {
      reference.push(themes.map(function (t) { return extract.reference.indexOf(t) >= 0 ? 1 : 0; }));
      accepted.push(themes.map(function (t, k) {
        var alternative = extract.alternatives.indexOf(t) >= 0;
        return reference[i][k] || (alternative && coded[i][k]) ? 1 : 0;
      }));
    });
    var n = coded.length, exact = 0, agreeCells = 0, defensible = 0;
    coded.forEach(function (row, i) {
      var all = true;
      row.forEach(function (value, k) {
        if (value === accepted[i][k]) agreeCells++; else all = false;
        if (accepted[i][k] && !reference[i][k]) defensible++;
      });
      if (all) exact++;
    });
    var rows = themes.map(function (theme, k) {
      var ref = reference.map(function (r) { return r[k]; });
      var key = accepted.map(function (r) { return r[k]; });
      var got = coded.map(function (r) { return r[k]; });
      var counts = { missed: 0, extra: 0, defensible: 0, agree: 0 };
      for (var i = 0; i < n; i++) {
        if (ref[i] === 1 && got[i] === 0) counts.missed++;
        if (key[i] === 0 && got[i] === 1) counts.extra++;
        if (ref[i] === 0 && key[i] === 1) counts.defensible++;
        if (key[i] === got[i]) counts.agree++;
      }
      return {
        theme: theme,
        label: data.themes[k].label,
        reference_present: ref.reduce(function (a, b) { return a + b; }, 0),
        coded_present: got.reduce(function (a, b) { return a + b; }, 0),
        missed: counts.missed,
        extra: counts.extra,
        defensible: counts.defensible,
        percent_agreement: counts.agree / n,
        kappa: kappa(key, got),
      };
    });
    var kappas = rows.map(function (r) { return r.kappa; }).filter(function (x) { return x !== null; });
    var disagreements = [];
    data.extracts.forEach(function (extract, i) {
      themes.forEach(function (theme, k) {
        if (coded[i][k] === reference[i][k]) return;
        var f = extract.feedback[theme];
        disagreements.push({
          excerpt_id: extract.id,
          informant: extract.informant,
          theme: theme,
          reference: reference[i][k],
          coded: coded[i][k],
          kind: f.kind,
          rule_theme: f.rule_theme,
          rule_kind: f.rule_kind,
          rule: f.rule,
          rationale: f.kind === "extra" ? "" : f.rationale,
        });
      });
    });
    return {
      summary: {
        n_excerpts: n,
        exact_matches: exact,
        cell_agreement: agreeCells / (n * themes.length),
        mean_kappa: kappas.length ? kappas.reduce(function (a, b) { return a + b; }, 0) / kappas.length : null,
        defensible: defensible,
      },
      themes: rows,
      disagreements: disagreements,
    };
  }

  function readBoxes(data) {
    return data.extracts.map(function (extract) {
      return data.themes.map(function (theme) {
        return document.getElementById(boxId(extract.id, theme.id)).checked ? 1 : 0;
      });
    });
  }

  function percent(x) {
    return Math.round(x * 100) + "%";
  }

  function fixed(x) {
    if (x === null) return "undefined";
    return Math.abs(x) < 0.005 ? "0.00" : x.toFixed(2);
  }

  function showScore(data, results, result) {
    results.textContent = "";
    results.setAttribute("data-score", JSON.stringify(result));
    var labels = {};
    data.themes.forEach(function (t) { labels[t.id] = t.label; });
    var s = result.summary;
    results.appendChild(el("h3", {}, "Your score"));
    results.appendChild(el("p", {}, s.exact_matches + " of " + s.n_excerpts +
      " extracts coded as the reference (defensible alternatives accepted); " +
      percent(s.cell_agreement) + " of extract \u00d7 theme cells agree; " +
      s.defensible + " defensible alternative code(s); mean kappa " + fixed(s.mean_kappa) + "."));
    var table = el("table", { "class": "table coding-form-themes" });
    table.appendChild(el("caption", {}, "Agreement with the reference, theme by theme: " +
      "extracts the reference codes, extracts you coded, missed, extra and defensible codes, " +
      "share of extracts agreeing, and Cohen's kappa (a defensible alternative you coded " +
      "counts as agreement)."));
    var head = el("tr");
    ["Theme", "Reference", "You coded", "Missed", "Extra", "Defensible",
      "Agreement", "Kappa"].forEach(function (name) {
      head.appendChild(el("th", { scope: "col" }, name));
    });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    result.themes.forEach(function (row) {
      var tr = el("tr");
      tr.appendChild(el("th", { scope: "row" }, row.label));
      [row.reference_present, row.coded_present, row.missed, row.extra, row.defensible,
        percent(row.percent_agreement), fixed(row.kappa)].forEach(function (value) {
        tr.appendChild(el("td", {}, String(value)));
      });
      body.appendChild(tr);
    });
    var wrap = el("div", {
      "class": "coding-form-table-wrap", tabindex: "0", role: "region",
      "aria-label": "Agreement theme by theme",
    });
    wrap.appendChild(table);
    results.appendChild(wrap);
    results.appendChild(el("h3", {}, "Every disagreement, and the codebook rule that decides it"));
    if (!result.disagreements.length) {
      results.appendChild(el("p", {}, "None: your coding equals the reference."));
      return;
    }
    var list = el("ul", { "class": "coding-form-disagreements" });
    var what = {
      missed: "missed: the reference codes ",
      extra: "extra: the reference does not code ",
      defensible: "defensible alternative: the reference does not code it, but accepts ",
    };
    result.disagreements.forEach(function (d) {
      var item = el("li", { "data-kind": d.kind });
      var title = el("p");
      title.appendChild(el("strong", {}, d.excerpt_id + " (" + d.informant + "), " +
        labels[d.theme] + ": "));
      title.appendChild(document.createTextNode(what[d.kind] + labels[d.theme] + "."));
      item.appendChild(title);
      var source = d.rule_kind === "definition" ? "definition" : "do not code when";
      item.appendChild(el("p", {}, "Codebook (" + labels[d.rule_theme] + ", " + source + "): " + d.rule));
      if (d.rationale) {
        item.appendChild(el("p", {}, "Why: " + d.rationale));
      }
      list.appendChild(item);
    });
    results.appendChild(list);
  }

  function csvField(value) {
    value = String(value);
    return /[",\r\n]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value;
  }

  // The filled sheet in the format of blank_coding_sheet, read by score_coding.
  function sheetCsv(data) {
    var coded = readBoxes(data);
    var lines = [data.columns.map(csvField).join(",")];
    data.extracts.forEach(function (extract, i) {
      lines.push([extract.id, extract.informant, data.fictional_marker, extract.text]
        .concat(coded[i].map(String)).map(csvField).join(","));
    });
    return lines.join("\n") + "\n";
  }

  function parseCsv(text) {
    text = text.replace(/^\ufeff/, "");
    var firstLine = text.split(/\r?\n/, 1)[0];
    var separator = [",", ";", "\t"].reduce(function (best, candidate) {
      return firstLine.split(candidate).length > firstLine.split(best).length ? candidate : best;
    }, ",");
    var rows = [], row = [], field = "", quoted = false;
    for (var i = 0; i < text.length; i++) {
      var c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
        else if (c === '"') quoted = false;
        else field += c;
      } else if (c === '"') quoted = true;
      else if (c === separator) { row.push(field); field = ""; }
      else if (c === "\n" || c === "\r") {
        if (c === "\r" && text[i + 1] === "\n") i++;
        row.push(field); rows.push(row); row = []; field = "";
      } else field += c;
    }
    if (field !== "" || row.length) { row.push(field); rows.push(row); }
    return rows.filter(function (r) { return r.some(function (v) { return v.trim() !== ""; }); });
  }

  // Tick the boxes from a sheet filled elsewhere; return problems as sentences.
  function loadSheet(data, text) {
    var rows = parseCsv(text);
    if (!rows.length) return ["the file is empty"];
    var header = rows[0].map(function (h) { return h.trim(); });
    var idColumn = header.indexOf("excerpt_id");
    if (idColumn < 0) return ["the first row has no excerpt_id column"];
    var problems = [];
    var columns = data.themes.map(function (t) {
      var k = header.indexOf(t.id);
      if (k < 0) problems.push("no column " + t.id);
      return k;
    });
    var known = {};
    data.extracts.forEach(function (e) { known[e.id] = true; });
    var seen = {};
    rows.slice(1).forEach(function (row, r) {
      var id = (row[idColumn] || "").trim();
      if (!known[id]) { problems.push("line " + (r + 2) + ": unknown extract " + JSON.stringify(id)); return; }
      seen[id] = true;
      data.themes.forEach(function (t, k) {
        if (columns[k] < 0) return;
        var value = (row[columns[k]] || "").trim().toLowerCase();
        var box = document.getElementById(boxId(id, t.id));
        if (TICKED.indexOf(value) >= 0) box.checked = true;
        else if (UNTICKED.indexOf(value) >= 0) box.checked = false;
        else problems.push("line " + (r + 2) + ", column " + t.id + ": " +
          JSON.stringify(row[columns[k]]) + " is not 0 or 1");
      });
    });
    var missing = data.extracts.filter(function (e) { return !seen[e.id]; });
    if (missing.length) {
      problems.push("no row for " + missing.map(function (e) { return e.id; }).join(", "));
    }
    return problems;
  }

  function appendThemes(parent, data) {
    data.themes.forEach(function (theme) {
      var section = el("div", { "class": "coding-form-theme" });
      section.appendChild(el("p", {}, "")).appendChild(el("strong", {}, theme.label));
      section.appendChild(el("p", {}, theme.definition));
      [["Code when:", theme.include], ["Do not code when:", theme.exclude]].forEach(function (pair) {
        section.appendChild(el("p", {}, pair[0]));
        var list = el("ul");
        pair[1].forEach(function (rule) { list.appendChild(el("li", {}, rule)); });
        section.appendChild(list);
      });
      parent.appendChild(section);
    });
  }

  function buildCodebook(data) {
    var details = el("details", { "class": "coding-form-codebook" });
    details.appendChild(el("summary", {}, "The codebook (open it while you code)"));
    appendThemes(details, data);
    return details;
  }

  function buildExtract(data, extract, n) {
    var fieldset = el("fieldset", { "class": "coding-form-extract", id: "cf-" + extract.id });
    fieldset.appendChild(el("legend", {}, "Extract " + n + " of " + data.extracts.length + ": " +
      extract.id + ", " + extract.informant + " interview (fictional)"));
    var turns = el("div", { "class": "coding-form-turns" });
    extract.turns.forEach(function (turn) {
      var p = el("p");
      p.appendChild(el("strong", {}, turn[0] + ": "));
      p.appendChild(document.createTextNode(turn[1]));
      turns.appendChild(p);
    });
    fieldset.appendChild(turns);
    var boxes = el("div", { "class": "coding-form-boxes" });
    data.themes.forEach(function (theme) {
      var wrap = el("span", { "class": "coding-form-box" });
      var id = boxId(extract.id, theme.id);
      wrap.appendChild(el("input", {
        type: "checkbox", id: id, name: id, "data-extract": extract.id, "data-theme": theme.id,
      }));
      wrap.appendChild(el("label", { "for": id }, theme.label));
      boxes.appendChild(wrap);
    });
    fieldset.appendChild(boxes);
    var toggle = el("button", {
      type: "button", "class": "btn btn-link coding-form-codebook-toggle", "aria-expanded": "false",
    }, "Show the codebook here");
    var p = el("p", { "class": "coding-form-codebook-line" });
    p.appendChild(toggle);
    toggle.addEventListener("click", function () {
      var open = fieldset.querySelector(".coding-form-inline-codebook");
      if (open) {
        open.remove();
        toggle.textContent = "Show the codebook here";
        toggle.setAttribute("aria-expanded", "false");
      } else {
        var panel = el("div", { "class": "coding-form-inline-codebook" });
        appendThemes(panel, data);
        fieldset.appendChild(panel);
        toggle.textContent = "Hide the codebook";
        toggle.setAttribute("aria-expanded", "true");
      }
    });
    fieldset.appendChild(p);
    return fieldset;
  }

  function init() {
    var holder = document.getElementById(FORM_ID);
    var source = document.getElementById(DATA_ID);
    if (!holder || !source || holder.getAttribute("data-ready")) return;
    var data = JSON.parse(source.textContent);
    holder.setAttribute("data-ready", "true");
    holder.appendChild(buildCodebook(data));
    var form = el("form", { "class": "coding-form-form", "aria-label": "Coding form" });
    data.extracts.forEach(function (extract, i) {
      form.appendChild(buildExtract(data, extract, i + 1));
    });
    var actions = el("div", { "class": "coding-form-actions" });
    var submit = el("button", { type: "submit", "class": "btn btn-primary" }, "Score my coding");
    var download = el("button", { type: "button", "class": "btn btn-secondary" }, "Download my sheet (CSV)");
    var clear = el("button", { type: "button", "class": "btn btn-secondary" }, "Clear all boxes");
    var fileLabel = el("label", { "for": "cf-load" }, "Load a filled sheet (CSV): ");
    var file = el("input", { type: "file", id: "cf-load", accept: ".csv,text/csv" });
    [submit, download, clear].forEach(function (b) { actions.appendChild(b); });
    var loader = el("p", { "class": "coding-form-load" });
    loader.appendChild(fileLabel);
    loader.appendChild(file);
    form.appendChild(actions);
    form.appendChild(loader);
    var status = el("p", { "class": "coding-form-status", role: "status", "aria-live": "polite" });
    form.appendChild(status);
    holder.appendChild(form);
    var results = el("div", { "class": "coding-form-results", id: "cf-results", tabindex: "-1" });
    holder.appendChild(results);
    if (restore(data)) {
      status.textContent = "Your ticks from your last visit are back (Clear all boxes starts again).";
    }
    form.addEventListener("change", function () { save(data); });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      showScore(data, results, score(data, readBoxes(data)));
      status.textContent = "Scored: the results are below the form.";
      results.focus();
    });
    download.addEventListener("click", function () {
      var blob = new Blob([sheetCsv(data)], { type: "text/csv;charset=utf-8" });
      var link = el("a", { href: URL.createObjectURL(blob), download: "coding_sheet_filled.csv" });
      document.body.appendChild(link);
      link.click();
      link.remove();
      status.textContent = "Downloaded coding_sheet_filled.csv.";
    });
    clear.addEventListener("click", function () {
      form.querySelectorAll("input[type=checkbox]").forEach(function (box) { box.checked = false; });
      save(data);
      status.textContent = "All boxes cleared.";
    });
    file.addEventListener("change", function () {
      if (!file.files.length) return;
      var name = file.files[0].name;
      if (!/\.(csv|txt)$/i.test(name)) {
        status.textContent = "The form reads CSV files only: save " + name +
          " as CSV UTF-8 in your spreadsheet and load that file.";
        file.value = "";
        return;
      }
      var reader = new FileReader();
      reader.onload = function () {
        var problems = loadSheet(data, String(reader.result));
        save(data);
        status.textContent = problems.length
          ? "Loaded " + name + " with " + problems.length + " problem(s): " + problems.join("; ") + "."
          : "Loaded " + name + ": every box now shows that sheet's codes.";
        file.value = "";
      };
      reader.readAsText(file.files[0], "utf-8");
    });
  }

  window.allianceCodingForm = { score: score, parseCsv: parseCsv };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
