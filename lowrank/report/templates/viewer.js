for (const viewer of document.querySelectorAll(".viewer")) {
  const data = JSON.parse(viewer.querySelector("script").textContent);
  const slider = viewer.querySelector("input[type=range]");
  const flip = viewer.querySelector(".flip img");
  const flipCaption = viewer.querySelector(".flip figcaption");
  let compared = data.methods[data.methods.length - 1];
  let showingOriginal = true;
  const showFlip = () => {
    const index = +slider.value;
    flip.src = showingOriginal ? data.original : data.images[compared][index];
    flipCaption.textContent = showingOriginal
      ? "original (click or press F to flip)"
      : data.captions[compared][index];
  };
  const show = () => {
    const index = +slider.value;
    viewer.querySelector("output").textContent = data.ranks[index];
    for (const method of data.methods) {
      const figure = viewer.querySelector(`figure[data-method="${method}"]`);
      figure.querySelector("img").src = data.images[method][index];
      figure.querySelector("figcaption").textContent = data.captions[method][index];
    }
    viewer.querySelector("img.training").src = data.training[index];
    const marker = viewer.querySelector(".marker");
    marker.setAttribute("x1", data.marker[index]);
    marker.setAttribute("x2", data.marker[index]);
    showFlip();
  };
  const toggle = () => { showingOriginal = !showingOriginal; showFlip(); };
  slider.addEventListener("input", show);
  flip.addEventListener("click", toggle);
  viewer.addEventListener("keydown", (event) => {
    if (event.key === "f" || event.key === "F") toggle();
  });
  for (const button of viewer.querySelectorAll("button[data-method]")) {
    button.addEventListener("click", () => {
      compared = button.dataset.method;
      showingOriginal = false;
      showFlip();
    });
  }
}
