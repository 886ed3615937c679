import { api } from "./api.js";
import { clearProblem, h, showProblem, table } from "./ui.js";

// The alert rules in force, and an editor that replaces them all at once (PUT /api/v1/alert-rules, checked by the node
// as at start-up). While the operator edits, the page's reads leave the draft alone and only say when the rules were
// changed elsewhere meanwhile: the API replaces the whole set, so saving puts the draft in force as it stands.
const operators = [">", ">=", "<", "<=", "=="];
const severities = ["info", "low", "medium", "high", "critical"];

/** A number field's value for the API: null when empty, so that the node names a missing threshold. */
function numberOrNull(input) {
  const text = input.value.trim();
  return text === "" ? null : Number(text);
}

function textOrNull(input) {
  return input.value.trim() || null;
}

/**
 * The rules section of the Alerts page: content to place, show(rules) for each read of GET /api/v1/alert-rules, and
 * notice (a status line of the page) for what a save did.
 */
export function alertRules(notice) {
  const content = h("div", {}, h("p", { class: "loading" }, "Loading the rules…"));
  let inForce = null;
  let editor = null;
  // Ids of the fields of a rule, unique for the page's life: rules come and go while editing.
  let fields = 0;

  const drawTable = () => {
    const edit = h("button", { type: "button" }, "Edit the rules");
    edit.addEventListener("click", openEditor);
    content.replaceChildren(
      h("p", { class: "muted" }, `Version ${inForce.version}. A rule raises an alert when a reading of its sensor meets the raise condition, and clears it when a reading no longer meets the clear condition.`),
      table("Alert rules", ["Rule", "Sensor", "Device type", "Raise condition", "Clear condition", "Severity"],
        inForce.rules.map((rule) => [rule.id, rule.sensor_type, rule.device_type ?? "any",
          `value ${rule.operator} ${rule.threshold}`, `value ${rule.operator} ${rule.clear_threshold ?? rule.threshold}`,
          h("span", { class: `severity severity-${rule.severity}` }, rule.severity)]),
        "No rules are in force."),
      h("p", { class: "rules-actions" }, edit));
  };

  const ruleFieldset = (rule, list) => {
    const n = ++fields;
    const input = (name, label, value, attributes = {}) => {
      const element = h("input", { id: `rule-${n}-${name}`, name, value: value ?? "", ...attributes });
      return [h("div", { class: "field" }, h("label", { for: element.id }, label), element), element];
    };
    const choice = (name, label, values, selected) => {
      const element = h("select", { id: `rule-${n}-${name}`, name },
        values.map((value) => h("option", { value, selected: value === selected }, value)));
      return [h("div", { class: "field" }, h("label", { for: element.id }, label), element), element];
    };
    const [idField, id] = input("id", "Id", rule.id, { placeholder: "derived from the rule" });
    const [sensorField, sensor] = input("sensor_type", "Sensor", rule.sensor_type);
    const [typeField, deviceType] = input("device_type", "Device type", rule.device_type, { placeholder: "any" });
    const [operatorField, operator] = choice("operator", "Operator", operators, rule.operator ?? ">");
    const [thresholdField, threshold] = input("threshold", "Threshold", rule.threshold, { type: "number", step: "any" });
    const [clearField, clearThreshold] = input("clear_threshold", "Clear threshold", rule.clear_threshold, { type: "number", step: "any", placeholder: "as threshold" });
    const [severityField, severity] = choice("severity", "Severity", severities, rule.severity ?? "high");
    const legend = h("legend", {});
    const remove = h("button", { type: "button", class: "small" }, "Remove");
    const fieldset = h("fieldset", { class: "rule" }, legend, idField, sensorField, typeField, operatorField, thresholdField,
      clearField, severityField, h("div", { class: "rule-remove" }, remove));
    fieldset.readRule = () => ({
      id: textOrNull(id), sensor_type: textOrNull(sensor), device_type: textOrNull(deviceType), operator: operator.value,
      threshold: numberOrNull(threshold), clear_threshold: numberOrNull(clearThreshold), severity: severity.value,
    });
    remove.addEventListener("click", () => {
      fieldset.remove();
      numberRules(list);
      editor.add.focus();
    });
    return fieldset;
  };

  // Numbered in order, as the API names them in a refusal.
  const numberRules = (list) => {
    [...list.children].forEach((fieldset, index) => {
      fieldset.querySelector("legend").textContent = `Rule ${index + 1}`;
      fieldset.querySelector(".rule-remove button").setAttribute("aria-label", `Remove rule ${index + 1}`);
    });
  };

  function openEditor() {
    const list = h("div", { class: "rule-list" });
    const add = h("button", { type: "button" }, "Add a rule");
    const save = h("button", { type: "submit" }, "Save the rules");
    const cancel = h("button", { type: "button", class: "link" }, "Cancel");
    const changed = h("p", { class: "notice", role: "status" });
    const refusal = h("p", { class: "message" });
    const form = h("form", { class: "rules-editor", "aria-label": "Edit the alert rules", novalidate: true },
      h("p", { class: "muted" }, `Editing version ${inForce.version}. Saving replaces every rule with these; the node checks them and they apply to the next reading.`),
      changed, list, h("p", { class: "rules-actions" }, add, save, cancel), refusal);
    editor = { version: inForce.version, changed, add };
    for (const rule of inForce.rules) list.append(ruleFieldset(rule, list));
    numberRules(list);
    add.addEventListener("click", () => {
      const fieldset = ruleFieldset({}, list);
      list.append(fieldset);
      numberRules(list);
      fieldset.querySelector("input").focus();
    });
    cancel.addEventListener("click", () => {
      editor = null;
      drawTable();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      save.disabled = true;
      refusal.textContent = "";
      try {
        // Only over the version being edited: another operator's save meanwhile is refused (412), not silently replaced.
        const saved = await api("/api/v1/alert-rules", {
          method: "PUT",
          headers: { "If-Match": `"${editor.version}"` },
          body: { rules: [...list.children].map((fieldset) => fieldset.readRule()) },
        });
        editor = null;
        inForce = saved;
        clearProblem();
        notice.textContent = `Saved the alert rules: version ${saved.version} is in force.`;
        drawTable();
      } catch (error) {
        save.disabled = false;
        showProblem(error);
        if (error.status === 412) {
          // Someone saved meanwhile: the draft stays, and saving again (now knowingly) replaces their rules.
          const current = await api("/api/v1/alert-rules").catch(() => null);
          if (current) {
            inForce = current;
            editor.version = current.version;
          }
          refusal.textContent = `Not saved: someone saved other rules meanwhile${current ? ` (version ${current.version})` : ""}. Save again to replace them with yours, or Cancel to see theirs.`;
          editor.changed.textContent = "";
          return;
        }
        // The banner gives the API's words; here the rule is named as its legend is (the API's rules[0] is rule 1).
        refusal.textContent = error.message.replace(/'rules\[(\d+)\]\./g, (_, index) => `rule ${Number(index) + 1}: '`);
      }
    });
    notice.textContent = "";
    content.replaceChildren(form);
    form.querySelector("input")?.focus();
  }

  // Drawn again only when the rules changed, so that a periodic read does not take the keyboard's focus away.
  const show = (rules) => {
    const changedSince = JSON.stringify(rules) !== JSON.stringify(inForce);
    inForce = rules;
    if (!editor) {
      if (changedSince) drawTable();
    } else if (rules.version !== editor.version) {
      editor.changed.textContent = `The rules were changed elsewhere while you edited (now version ${rules.version}): Save will say so before it replaces them.`;
    }
  };

  return { content, show };
}
