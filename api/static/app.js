// Light touches only; every page works without this file.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.dataset ? form.dataset.confirm : null;
  if (question && !window.confirm(question)) event.preventDefault();
});
document.addEventListener("focusin", (event) => {
  if (event.target.classList && event.target.classList.contains("copy")) event.target.select();
});
