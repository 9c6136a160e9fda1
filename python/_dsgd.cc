// dsgd._dsgd: the C++ side of the Python module. It turns NumPy arrays (and the arrays of a
// SciPy CSR matrix) into borrowed Datasets, calls the library's fit, scores and model files,
// and turns the library's errors into ValueError (a configuration or data that cannot be
// used), OSError (a model file) and KeyboardInterrupt (Ctrl-C during a fit). The estimator
// (dsgd/_estimator.py) is the part users see.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "dsgd/base/error.h"
#include "dsgd/model/logistic.h"
#include "dsgd/model/model_file.h"
#include "dsgd/report/report.h"
#include "dsgd/train/config/config.h"
#include "dsgd/train/config/config_fields.h"
#include "dsgd/train/loop/fit.h"
#include "dsgd/base/version.h"

namespace py = pybind11;

namespace {

using dsgd::Dataset;
using dsgd::DType;

// Python's name for a configuration field that a message names (error.h's field()): its
// keyword argument ("batch" is batch_size), or the field's own name where it has none.
std::string keyword_of(std::string_view name) {
  const dsgd::ConfigField* f = dsgd::find_config_field(name);
  return std::string(f != nullptr && !f->keyword.empty() ? f->keyword : name);
}

// The table of configuration fields (config_fields.h), for the estimator's checks and docs.
py::list config_fields() {
  static const char* const kTypes[] = {"count", "number", "switch", "choice", "steps_or_epoch"};
  py::list out;
  for (const dsgd::ConfigField& f : dsgd::config_fields()) {
    py::dict d;
    d["name"] = std::string(f.name);
    d["keyword"] = std::string(f.keyword);
    d["type"] = kTypes[static_cast<int>(f.type)];
    d["help"] = dsgd::field_help(f, keyword_of);
    d["default"] = dsgd::default_text(f);
    d["data_default"] = std::string(f.data_default);
    d["rule"] = dsgd::rule_text(f);
    py::list choices;
    for (const std::string_view c : f.choices) choices.append(std::string(c));
    d["choices"] = choices;
    out.append(d);
  }
  return out;
}

// A C-contiguous array of T, or TypeError naming `what`.
template <typename T>
py::array_t<T> contiguous(const py::object& obj, const char* what) {
  if (!py::isinstance<py::array_t<T>>(obj)) throw py::type_error(std::string(what) + ": expected a NumPy array of " + py::str(py::dtype::of<T>()).cast<std::string>());
  auto array = py::reinterpret_borrow<py::array_t<T>>(obj);
  if (!(array.flags() & py::array::c_style)) throw py::type_error(std::string(what) + ": expected a C-contiguous array");
  return array;
}

// Whether `array` is of dtype T.
template <typename T>
bool is_of(const py::array& array) {
  return array.dtype().is(py::dtype::of<T>());
}

// A Dataset over the caller's arrays, none of them copied: X is a 2-D C-contiguous float32 or
// float64 array, or the tuple (data, indices as uint32, indptr as uint64, n_features) of a
// canonical CSR matrix (sorted indices, no duplicates; checked here, O(non-zeros)). y holds the
// classes 0/1 as uint8 (null: none, for scoring).
Dataset borrow(const py::object& X, const py::object& y) {
  const std::uint8_t* labels = nullptr;
  std::size_t label_rows = 0;
  if (!y.is_none()) {
    const auto classes = contiguous<std::uint8_t>(y, "y");
    labels = classes.data();
    label_rows = static_cast<std::size_t>(classes.size());
  }
  const auto owner = std::shared_ptr<const void>(X.ptr(), [](const void*) {});  // the caller keeps X alive
  std::optional<Dataset> out;
  if (py::isinstance<py::tuple>(X)) {
    const auto parts = X.cast<py::tuple>();
    if (parts.size() != 4) throw py::type_error("X: expected (data, indices, indptr, n_features)");
    const auto data = parts[0].cast<py::array>();
    const auto indices = contiguous<std::uint32_t>(parts[1], "CSR indices");
    const auto indptr = contiguous<std::uint64_t>(parts[2], "CSR indptr");
    const auto features = parts[3].cast<std::size_t>();
    if (!(data.flags() & py::array::c_style) || data.ndim() != 1 || (!is_of<float>(data) && !is_of<double>(data)))
      throw py::type_error("CSR data: expected a contiguous 1-D float32 or float64 array");
    const auto rows = static_cast<std::size_t>(indptr.size()) - 1;
    const auto nnz = static_cast<std::size_t>(data.size());
    if (indptr.size() < 1 || static_cast<std::size_t>(indices.size()) != nnz)
      throw py::value_error("CSR matrix: indptr, indices and data do not fit together");
    const std::uint64_t* offsets = indptr.data();
    const std::uint32_t* index = indices.data();
    if (offsets[0] != 0 || offsets[rows] != nnz)
      throw py::value_error("CSR matrix: indptr must start at 0 and end at the number of stored values");
    for (std::size_t i = 0; i < rows; ++i) {
      if (offsets[i + 1] < offsets[i]) throw py::value_error("CSR matrix: indptr decreases at row " + std::to_string(i));
      for (std::uint64_t k = offsets[i]; k < offsets[i + 1]; ++k) {
        if (index[k] >= features)
          throw py::value_error("CSR matrix: row " + std::to_string(i) + " has column " + std::to_string(index[k]) +
                                " of " + std::to_string(features));
        if (k > offsets[i] && index[k] <= index[k - 1])
          throw py::value_error("CSR matrix: the columns of row " + std::to_string(i) + " are not sorted and unique");
      }
    }
    out.emplace(Dataset::sparse_over(is_of<float>(data) ? DType::kF32 : DType::kF64, rows, features, nnz, 0, owner,
                                     index, data.data(), offsets, labels));
  } else {
    if (!py::isinstance<py::array>(X)) throw py::type_error("X: expected a NumPy array or a CSR matrix's arrays");
    const auto array = X.cast<py::array>();
    if (array.ndim() != 2 || !(array.flags() & py::array::c_style) || (!is_of<float>(array) && !is_of<double>(array)))
      throw py::type_error("X: expected a 2-D C-contiguous float32 or float64 array");
    out.emplace(Dataset::dense_over(is_of<float>(array) ? DType::kF32 : DType::kF64, static_cast<std::size_t>(array.shape(0)),
                                    static_cast<std::size_t>(array.shape(1)), 0, owner, array.data(), labels));
  }
  if (labels != nullptr && label_rows != out->rows())
    throw py::value_error("X has " + std::to_string(out->rows()) + " rows and y " + std::to_string(label_rows));
  return std::move(*out);
}

// The model of a dict {weights, bias, mean, scale} (mean and scale None without scaling; any
// other keys, such as dict_of's raw weights, are ignored).
dsgd::LinearModel model_of(const py::dict& m) {
  dsgd::LinearModel model;
  model.weights = m["weights"].cast<std::vector<double>>();
  model.bias = m["bias"].cast<double>();
  if (!m["scale"].is_none()) {
    model.standardization = dsgd::Standardization{m["mean"].cast<std::vector<double>>(), m["scale"].cast<std::vector<double>>()};
    if (model.standardization->mean.size() != model.weights.size() || model.standardization->scale.size() != model.weights.size())
      throw py::value_error("model: weights, mean and scale differ in length");
  }
  return model;
}

py::dict dict_of(const dsgd::LinearModel& model) {
  py::dict m;
  m["weights"] = py::array_t<double>(static_cast<py::ssize_t>(model.weights.size()), model.weights.data());
  m["bias"] = model.bias;
  m["mean"] = py::none();
  m["scale"] = py::none();
  if (model.standardization) {
    m["mean"] = py::array_t<double>(static_cast<py::ssize_t>(model.weights.size()), model.standardization->mean.data());
    m["scale"] = py::array_t<double>(static_cast<py::ssize_t>(model.weights.size()), model.standardization->scale.data());
  }
  // The raw-space weights the scores use (the scaling folded in, as the library folds it).
  const dsgd::RawWeights raw = model.raw_weights();
  m["raw_weights"] = py::array_t<double>(static_cast<py::ssize_t>(raw.weights.size()), raw.weights.data());
  m["raw_bias"] = raw.bias;
  return m;
}

// params: {field name: its value as text} for the fields the caller set (the estimator writes
// its keyword arguments so); the others take the data's defaults.
dsgd::TrainConfig config_of(const py::dict& params, std::vector<std::string>& given) {
  dsgd::TrainConfig c;
  for (const auto& [key, value] : params) {
    given.push_back(key.cast<std::string>());
    dsgd::set_field(c, given.back(), value.cast<std::string>());
  }
  return c;
}

// Runs fn in a thread of its own while this one, holding the GIL every 50 ms, lets Python
// handle signals: Ctrl-C sets `stop` (the run ends at its next epoch's end, nothing returned)
// and the KeyboardInterrupt is raised once the run has ended.
template <typename Fn>
auto interruptible(std::atomic<bool>& stop, Fn fn) {
  auto done = std::async(std::launch::async, std::move(fn));
  bool interrupted = false;
  for (;;) {
    std::future_status status;
    {
      py::gil_scoped_release release;
      status = done.wait_for(std::chrono::milliseconds(50));
    }
    if (status == std::future_status::ready) break;
    if (!interrupted && PyErr_CheckSignals() != 0) {
      interrupted = true;  // the exception stays set; the run is told to stop and waited for
      stop = true;
    }
  }
  if (interrupted) {
    try {
      (void)done.get();
    } catch (const dsgd::Interrupted&) {
    } catch (...) {
    }
    throw py::error_already_set();
  }
  return done.get();
}

py::dict fit(const py::object& X, const py::object& y, const py::object& sample_weight, const py::dict& params,
             const py::object& init, std::size_t start_epoch) {
  Dataset data = borrow(X, y);
  if (!sample_weight.is_none()) {
    const auto w = contiguous<double>(sample_weight, "sample_weight");
    if (static_cast<std::size_t>(w.size()) != data.rows()) throw py::value_error("sample_weight: one weight a row");
    std::copy_n(w.data(), data.rows(), data.add_sample_weights().data());
  }
  std::vector<std::string> given;
  const dsgd::TrainConfig config = config_of(params, given);
  std::optional<dsgd::LinearModel> start;
  if (!init.is_none()) start = model_of(init.cast<py::dict>());
  std::atomic<bool> stop{false};
  dsgd::FitOptions options;
  options.init = start ? &*start : nullptr;
  options.start_epoch = start_epoch;
  options.stop = &stop;
  const dsgd::GivenField is_given = [&given](std::string_view field) {
    return std::find(given.begin(), given.end(), field) != given.end();
  };
  const dsgd::FitResult result = interruptible(stop, [&] { return dsgd::fit(data, config, is_given, options); });
  py::dict out = dict_of(result.run.model);
  out["epochs"] = result.run.epochs.size();
  out["steps"] = result.run.steps;
  out["time_s"] = result.run.time_s;
  out["workers"] = result.config.workers;
  out["note"] = result.note;
  out["config"] = dsgd::to_json(result.config).dump();
  return out;
}

// z = x . w + b (raw space) for every row, and the probability of class 1.
py::array_t<double> decision(const py::object& X, const py::dict& model) {
  const Dataset data = borrow(X, py::none());
  const dsgd::LinearModel m = model_of(model);
  if (m.features() != data.features())
    throw py::value_error("X has " + std::to_string(data.features()) + " features, the model " + std::to_string(m.features()));
  std::vector<double> z;
  {
    py::gil_scoped_release release;
    z = dsgd::scores(m, data);
  }
  return py::array_t<double>(static_cast<py::ssize_t>(z.size()), z.data());
}

py::array_t<double> probability(const py::object& X, const py::dict& model) {
  auto z = decision(X, model);
  auto p = z.mutable_unchecked<1>();
  for (py::ssize_t i = 0; i < p.shape(0); ++i) p(i) = dsgd::sigmoid(p(i));
  return z;
}

void save(const std::string& path, const py::dict& model, double negative, double positive, const std::string& training) {
  dsgd::Model m{model_of(model), dsgd::LabelMap{negative, positive}, nlohmann::json::parse(training), dsgd::version()};
  dsgd::save_model(m, path);
}

py::dict load(const std::string& path) {
  const dsgd::Model m = dsgd::load_model(path);
  py::dict out = dict_of(m.params);
  out["labels"] = py::make_tuple(m.labels.negative, m.labels.positive);
  out["training"] = m.training.dump();
  return out;
}

}  // namespace

PYBIND11_MODULE(_dsgd, module) {
  module.doc() = "The C++ side of dsgd's Python module (use dsgd.SGDLogisticRegression).";
  static py::exception<dsgd::Error> base(module, "Error", PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const dsgd::ConfigError& e) {
      PyErr_SetString(PyExc_ValueError, e.named(keyword_of).c_str());
    } catch (const dsgd::InputError& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    } catch (const dsgd::DivergedError& e) {
      PyErr_SetString(PyExc_ValueError, e.named(keyword_of).c_str());
    } catch (const dsgd::Error& e) {
      base(e.named(keyword_of).c_str());
    }
  });
  module.def("fit", &fit, py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("params"), py::arg("init"),
             py::arg("start_epoch"));
  module.def("decision_function", &decision, py::arg("X"), py::arg("model"));
  module.def("predict_proba", &probability, py::arg("X"), py::arg("model"));
  module.def("save_model", &save, py::arg("path"), py::arg("model"), py::arg("negative"), py::arg("positive"),
             py::arg("training"));
  module.def("load_model", &load, py::arg("path"));
  module.def("config_fields", &config_fields);
  module.attr("__version__") = dsgd::version();
}
