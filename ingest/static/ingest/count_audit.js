// The count audit under a job's review clip: the user marks a stretch of the clip, counts the crossings of a line
// with two buttons, and the server answers with the product's own count of the same stretch (POST .../audits/).
(function () {
  const form = document.getElementById("count-audit");
  const video = document.querySelector("#review-clip video");
  if (!form || !video) return;
  const status = document.getElementById("count-audit-status");
  const button = (name) => form.querySelector(`[data-audit=${name}]`);
  let start = null;
  let counted = { in: 0, out: 0 };

  const show = () => {
    status.textContent = `Counting from ${start.toFixed(1)} s: ${counted.in} in, ${counted.out} out.`;
  };
  button("start").addEventListener("click", () => {
    start = video.currentTime;
    counted = { in: 0, out: 0 };
    ["in", "out", "stop"].forEach((name) => (button(name).disabled = false));
    show();
  });
  ["in", "out"].forEach((direction) =>
    button(direction).addEventListener("click", () => {
      counted[direction] += 1;
      show();
    }),
  );
  button("stop").addEventListener("click", async () => {
    const end = video.currentTime;
    ["in", "out", "stop"].forEach((name) => (button(name).disabled = true));
    const response = await fetch(form.dataset.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": form.csrfmiddlewaretoken.value },
      body: JSON.stringify({ line: Number(form.line.value), start_seconds: start, end_seconds: end,
                             counted_in: counted.in, counted_out: counted.out }),
    });
    const body = await response.json();
    if (!response.ok) {
      status.textContent = Object.values(body).flat().join(" ");
      return;
    }
    status.textContent = `You counted ${body.counted_in} in and ${body.counted_out} out from ${start.toFixed(1)} to ` +
      `${end.toFixed(1)} s; the product counted ${body.measured_in} in and ${body.measured_out} out. Kept with the camera's audits.`;
  });
})();
